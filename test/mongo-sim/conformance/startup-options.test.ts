// startMongoSim options that only a simulator can take: version, advertised host, replica set
// name, oplog size.
import { after } from 'node:test';
import net from 'node:net';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import type { MongoSim } from '../index';
import { simulatorOnly, startSimulator, type Loose } from './target';

const sims: MongoSim[] = [];
const clients: MongoClient[] = [];

after(async () => {
  await Promise.all(clients.map((c) => c.close(true)));
  await Promise.all(sims.map((s) => s.stop()));
});

/** A port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function start(options: Parameters<typeof startSimulator>[0]): Promise<{ sim: MongoSim; client: MongoClient }> {
  const sim = await startSimulator(options);
  sims.push(sim);
  const client = new MongoClient(sim.uri, { serverSelectionTimeoutMS: 5000 });
  clients.push(client);
  return { sim, client };
}

for (const [version, wire] of [['6.0', 17], ['7.0', 21], ['8.0', 25]] as const) {
  simulatorOnly(`version ${version} reports maxWireVersion ${wire}, a ${version}.x buildInfo and FCV ${version}`, async () => {
    const { client } = await start({ version });
    const admin = client.db('admin');
    assert.equal((await admin.command({ hello: 1 })).maxWireVersion, wire);
    const info = await admin.command({ buildInfo: 1 });
    assert.ok((info.version as string).startsWith(`${version}.`));
    assert.deepEqual(info.versionArray.slice(0, 2), version.split('.').map(Number));
    assert.equal((await admin.command({ getParameter: 1, featureCompatibilityVersion: 1 })).featureCompatibilityVersion.version, version);
  });
}

simulatorOnly('a full version string is reported as given', async () => {
  const { client } = await start({ version: '8.0.4' });
  assert.equal((await client.db('admin').command({ buildInfo: 1 })).version, '8.0.4');
});

simulatorOnly('an unsupported version is refused at startup', async () => {
  await assert.rejects(startSimulator({ version: '5.0' }), /unsupported MongoDB version '5.0'/);
});

simulatorOnly('the replica set name and port are the ones asked for, and the URI uses them', async () => {
  const port = await freePort();
  const { sim, client } = await start({ replSet: 'customSet', port });
  assert.equal(sim.port, port);
  assert.equal(sim.uri, `mongodb://127.0.0.1:${port}/?replicaSet=customSet`);
  const hello = await client.db('admin').command({ hello: 1 });
  assert.equal(hello.setName, 'customSet');
  assert.deepEqual(hello.hosts, [`127.0.0.1:${port}`]);
});

simulatorOnly('the advertised host is the one the URI uses', async () => {
  const { sim, client } = await start({ host: 'localhost' });
  assert.equal(sim.host, 'localhost');
  assert.match(sim.uri, /^mongodb:\/\/localhost:\d+\//);
  assert.equal((await client.db('admin').command({ hello: 1 })).me, `localhost:${sim.port}`);
});

simulatorOnly('a tiny oplog drops its oldest entries as writes arrive', async () => {
  const { client } = await start({ oplogSizeMB: 0.02 });
  const status = () => client.db('admin').command({ serverStatus: 1, oplog: 1 });
  const before = (await status()).oplog.earliestOptime;
  const coll = client.db('tiny').collection<Loose>('c');
  for (let i = 0; i < 60; i++) await coll.insertOne({ _id: i, pad: 'x'.repeat(1000) });
  const after = (await status()).oplog.earliestOptime;
  assert.ok(after.greaterThan(before), 'earliestOptime moved forward');
  const first = await client.db('local').collection('oplog.rs').findOne({ ns: 'tiny.c', 'o._id': 0 });
  assert.equal(first, null, 'the first insert fell out of the oplog');
});

simulatorOnly('stop() closes every connection and frees the port for a restart on it', async () => {
  const first = await startSimulator({});
  const client = new MongoClient(first.uri, { serverSelectionTimeoutMS: 1000, retryReads: false });
  clients.push(client);
  await client.db('admin').command({ ping: 1 });
  await first.stop();
  await assert.rejects(client.db('admin').command({ ping: 1 }));
  const second = await startSimulator({ port: first.port });
  sims.push(second);
  assert.equal(second.uri, first.uri);
  const again = new MongoClient(second.uri, { serverSelectionTimeoutMS: 5000 });
  clients.push(again);
  assert.equal((await again.db('admin').command({ ping: 1 })).ok, 1);
});
