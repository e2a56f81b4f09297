// The simulator CLI as a process: prints the connection string once it accepts connections,
// exits 0 on SIGTERM/SIGINT, and non-zero with a message on bad flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { MongoClient } from 'mongodb';

const CLI = path.join(__dirname, '..', 'cli.ts');

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve(buffered.slice(0, newline));
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing`)));
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

test('prints exactly the connection string, serves it, and exits 0 on SIGTERM', async () => {
  const child = run(['--port', '0', '--replSet', 'rsCli', '--auth', '--user', 'boss:secret']);
  const exited = exitOf(child);
  const uri = await firstLine(child);
  assert.match(uri, /^mongodb:\/\/127\.0\.0\.1:\d+\/\?replicaSet=rsCli$/);
  const client = new MongoClient(uri, { auth: { username: 'boss', password: 'secret' }, serverSelectionTimeoutMS: 5000 });
  assert.equal((await client.db('admin').command({ ping: 1 })).ok, 1);
  await client.close();
  child.kill('SIGTERM');
  const { code } = await exited;
  assert.equal(code, 0);
});

test('exits 0 on SIGINT too', async () => {
  const child = run([]);
  const exited = exitOf(child);
  const client = new MongoClient(await firstLine(child), { serverSelectionTimeoutMS: 5000 });
  await client.db('admin').command({ ping: 1 });
  await client.close();
  child.kill('SIGINT');
  assert.equal((await exited).code, 0);
});

test('bad flags exit non-zero with a clear message', async () => {
  const { code, stderr } = await exitOf(run(['--port', 'notaport']));
  assert.notEqual(code, 0);
  assert.match(stderr, /--port:/);
  assert.match(stderr, /usage: mongo-sim/);
});
