// `c2c-sync verify` as a user runs it, against two simulated clusters: exit 0 when they are
// equal, 1 when they differ (with a JSON report naming each difference), 2 on bad usage with
// a message that names what is wrong and shows no credential.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Int32, Long } from 'mongodb';
import type { AnyDocument } from '../support/workload';
import type { VerifyReport } from '../../src/verify/verify-clusters';
import { type ClusterPair, startClusterPair } from '../support/cluster-pair';
import { runCli } from './cli-process';

let pair: ClusterPair;
const dir = mkdtempSync(join(tmpdir(), 'c2c-verify-'));

before(async () => {
  pair = await startClusterPair();
});

after(async () => {
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function seedBoth(): Promise<void> {
  await pair.reset();
  for (const label of ['cluster0', 'cluster1'] as const) {
    const shop = pair.admin[label].db('shop');
    await shop.collection<AnyDocument>('orders').insertMany(Array.from({ length: 3000 }, (_, i) => ({ _id: i, total: i * 3, note: 'n'.repeat(i % 50) })));
    await shop.collection('orders').createIndex({ total: 1 }, { name: 'total_1' });
    await shop.collection<AnyDocument>('customers').insertMany([{ _id: 'ann', n: new Int32(1) }, { _id: 'bob' }]);
    await pair.admin[label].db('logs').collection<AnyDocument>('events').insertMany([{ _id: 1 }, { _id: 2 }]);
  }
}

const verify = (...args: string[]) => runCli(['verify', '--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1, ...args]);

describe('c2c-sync verify', () => {
  test('equal clusters: exit 0, a summary, a report, plain progress lines when piped', async () => {
    await seedBoth();
    const reportFile = join(dir, 'equal.json');
    const result = await verify('--report', reportFile, '--parallelism', '3');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /the clusters are equal/);
    assert.match(result.stderr, /^verify 100%  6008 of ~6008 documents  3\/3 collections  0 mismatches/m, 'a final plain progress line (documents of both sides)');
    assert.doesNotMatch(result.stderr, /\x1b\[/, 'no terminal codes when piped');
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as VerifyReport;
    assert.equal(report.equal, true);
    assert.deepEqual(
      report.namespaces.map((ns) => [ns.namespace, ns.sourceDocuments, ns.destinationDocuments, ns.documentMismatches]),
      [['logs.events', 2, 2, 0], ['shop.customers', 2, 2, 0], ['shop.orders', 3000, 3000, 0]],
    );
    for (const secret of ['sync-secret-1']) assert.ok(!(result.stdout + result.stderr + readFileSync(reportFile, 'utf8')).includes(secret));
  });

  test('different clusters: exit 1, and the report names every document and catalog difference', async () => {
    await seedBoth();
    const destination = pair.admin.cluster1.db('shop');
    await destination.collection<AnyDocument>('orders').deleteOne({ _id: 17 });
    await destination.collection<AnyDocument>('orders').updateOne({ _id: 2500 }, { $set: { total: 1 } });
    await destination.collection<AnyDocument>('orders').insertOne({ _id: 99999 });
    await destination.collection<AnyDocument>('customers').updateOne({ _id: 'ann' }, { $set: { n: Long.fromNumber(1) } });
    await destination.collection('orders').dropIndex('total_1');
    const reportFile = join(dir, 'different.json');
    const result = await verify('--report', reportFile);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /the clusters differ/);
    assert.match(result.stdout, /missingOnDestination shop\.orders _id \{"\$numberInt":"17"\}/);
    assert.match(result.stdout, /shop\.orders: index 'total_1' is missing on the destination/);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as VerifyReport;
    assert.equal(report.equal, false);
    assert.deepEqual(report.documentMismatches, [
      { namespace: 'shop.customers', id: '"ann"', kind: 'different' },
      { namespace: 'shop.orders', id: '{"$numberInt":"17"}', kind: 'missingOnDestination' },
      { namespace: 'shop.orders', id: '{"$numberInt":"2500"}', kind: 'different' },
      { namespace: 'shop.orders', id: '{"$numberInt":"99999"}', kind: 'extraOnDestination' },
    ]);
    assert.deepEqual(report.catalogMismatches.map((m) => [m.kind, `${m.db}.${m.coll}`, m.index]), [['indexMissingOnDestination', 'shop.orders', 'total_1']]);
    assert.equal(report.totals.documentMismatches, 4);

    // the differences are outside the filter: equal
    const filtered = await verify('--include', 'logs', '--include', 'shop.nothing');
    assert.equal(filtered.code, 0, filtered.stdout + filtered.stderr);
    const excluded = await verify('--exclude', 'shop');
    assert.equal(excluded.code, 0, excluded.stdout + excluded.stderr);
    const capped = await verify('--include', 'shop.orders', '--max-mismatches', '1', '--report', reportFile);
    assert.equal(capped.code, 1);
    const cappedReport = JSON.parse(readFileSync(reportFile, 'utf8')) as VerifyReport;
    assert.equal(cappedReport.documentMismatches.length, 1);
    assert.equal(cappedReport.totals.documentMismatches, 3);
  });

  test('bad usage: exit 2, naming what is wrong, never a credential', async () => {
    const cases: [string[], RegExp][] = [
      [['verify', '--cluster0', pair.uris.cluster0], /--cluster1 URI is required/],
      [['verify', '--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1, '--parallelism', '0'], /--parallelism must be an integer from 1 to 64/],
      [['verify', '--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1, '--bogus'], /bogus/],
      [['verify', '--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1, '--include', 'bad/db'], /--include "bad\/db"/],
      [['verify', '--cluster0', pair.uris.cluster0, '--cluster1', pair.uris.cluster1, '--report', join(dir, 'missing-dir', 'r.json')], /--report .*directory does not exist/],
      [['verify', '--cluster0', 'mongodb://user:pa@ss-w0rd@localhost:1', '--cluster1', pair.uris.cluster1], /cluster0/],
      [['verify', '--cluster0', 'http://localhost', '--cluster1', pair.uris.cluster1], /cluster0.*mongodb:\/\//],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      const output = result.stdout + result.stderr;
      assert.equal(result.code, 2, `${args.join(' ')}\n${output}`);
      assert.match(result.stderr, message);
      for (const secret of ['sync-secret-1', 'pa@ss-w0rd', 'ss-w0rd']) assert.ok(!output.includes(secret), `the output shows ${secret}:\n${output}`);
    }
  });
});
