// One scale run, as a user would do it: seed the source, start a worker process, start the sync
// through the product's client while an application keeps writing, wait for canCommit, stop
// the application, commit, wait for COMMITTED, then measure the workflow's history and compare
// the clusters. Used by `npm run scale` (scripts/scale.ts) and test/integration/scale.test.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SyncController } from '../../../src/client/sync-controller';
import { createTemporalTestEnv, uniqueTaskQueue } from '../temporal';
import { startScaleClusters } from './clusters';
import { compareClustersPaged, type PagedCompareResult } from './compare-paged';
import { seedSource } from './data';
import { type HistoryReport, measureHistory } from './history';
import { OplogMeter, oplogWindow } from './oplog-meter';
import type { ScaleOptions } from './options';
import { SteadyWriter, type WriterReport } from './steady-writer';
import { type SyncSamples, SyncSampler } from './sync-sampler';
import { startWorkerProcess } from './worker-process';
import type { Progress } from '../../../src/sync/progress';

export interface ScaleReport {
  options: ScaleOptions;
  simulated: boolean;
  seedMs: number;
  /** FAILED (with its error), a timeout, or a crashed worker; null when the sync committed */
  failure: string | null;
  startToCanCommitMs: number | null;
  startToCommittedMs: number | null;
  samples: SyncSamples;
  worker: { readyRssBytes: number; peakSampledRssBytes: number; hwmBytes: number; logFile: string };
  history: HistoryReport | null;
  writer: WriterReport;
  compare: PagedCompareResult | null;
  oplogMeterMissedEntries: boolean;
  /** the harness's own peak resident set (it must stay bounded whatever the data size) */
  harnessMaxRssBytes: number;
}

export interface ScaleDeps {
  /** a Temporal environment to reuse (a test's); without it a dev server is started and stopped */
  env?: TestWorkflowEnvironment;
  /** aborted (Ctrl-C): the run stops waiting, reports what it has, and stops everything it started */
  signal?: AbortSignal;
}

function describeProgress(p: Progress): string {
  const copy = p.collectionCopy;
  const copied = copy ? `${(copy.estimatedCopiedBytes / 1e6).toFixed(1)}/${(copy.estimatedTotalBytes / 1e6).toFixed(1)} MB` : '-';
  return `${String(p.state)} ${String(p.info ?? '')} copied ${copied} events ${String(p.totalEventsApplied ?? 0)} lag ${String(p.lagTimeSeconds ?? '-')}s canCommit ${String(p.canCommit)}`;
}

export async function runScale(options: ScaleOptions, log: (line: string) => void, deps: ScaleDeps = {}): Promise<ScaleReport> {
  const env = deps.env ?? (await createTemporalTestEnv());
  const clusters = await startScaleClusters({ sourceOplogMB: options.sourceOplogMB }).catch(async (error: unknown) => {
    if (!deps.env) await env.teardown();
    throw error;
  });
  const shape = {
    collections: options.collections,
    databases: options.databases,
    documentsPerCollection: options.documentsPerCollection,
    docBytes: options.docBytes,
  };
  const logDir = mkdtempSync(join(tmpdir(), 'c2c-scale-'));
  let worker: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
  let controller: SyncController | undefined;
  // Loops that must end even when the run throws half-way (else they keep the process alive).
  const loops: { stop(): Promise<unknown> }[] = [];
  try {
    log(`seeding ${options.collections} collections x ${options.documentsPerCollection} documents of ${options.docBytes} bytes (${clusters.simulated ? 'simulated' : 'real'} clusters)`);
    const seedStarted = Date.now();
    let lastLog = Date.now();
    await seedSource(clusters.admin.cluster0, shape, options.seed, (done) => {
      if (deps.signal?.aborted) throw new Error('interrupted while seeding');
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`  seeded ${done}/${options.collections} collections`);
      }
    });
    const seedMs = Date.now() - seedStarted;
    log(`seeded in ${(seedMs / 1000).toFixed(1)} s`);

    const taskQueue = uniqueTaskQueue('scale');
    worker = await startWorkerProcess({
      temporalAddress: env.address,
      taskQueue,
      uris: clusters.uris,
      maxConcurrentActivities: options.maxConcurrentActivities,
      logFile: join(logDir, 'worker.log'),
    });
    log(`worker pid ${worker.pid} running (RSS ${(worker.readyMemory.rssBytes / 2 ** 20).toFixed(0)} MiB); its log: ${worker.logFile}`);
    controller = new SyncController({ client: env.client, syncId: taskQueue, taskQueue, ...(options.tuning ? { tuning: options.tuning } : {}) });

    const writer = new SteadyWriter(clusters.admin.cluster0, shape, options.writesPerSecond, options.seed).start();
    loops.push(writer);
    const from = (await oplogWindow(clusters.admin.cluster0))?.newest ?? { t: Math.floor(Date.now() / 1000), i: 0 };
    const meter = new OplogMeter(clusters.admin.cluster0, from).start();
    loops.push(meter);
    const startedAt = Date.now();
    await controller.start({ source: 'cluster0', destination: 'cluster1', ...(options.verification ? {} : { verification: { enabled: false } }) });
    const sampler = new SyncSampler(controller, clusters.admin.cluster0, meter, startedAt).start();
    loops.push(sampler);

    let failure: string | null = null;
    let startToCanCommitMs: number | null = null;
    let startToCommittedMs: number | null = null;
    let lastWarnings = '[]';
    const waitFor = async (done: (p: Progress) => boolean, what: string): Promise<Progress | null> => {
      const deadline = startedAt + options.timeoutMs;
      let lastLine = 0;
      for (;;) {
        if (deps.signal?.aborted) {
          failure = `interrupted while waiting for ${what}`;
          return null;
        }
        const exit = worker!.unexpectedExit();
        if (exit) {
          failure = exit;
          return null;
        }
        let progress: Progress | null = null;
        try {
          progress = await controller!.progress();
        } catch (error) {
          if ((error as Error).name !== 'ServiceError') throw error;
        }
        if (progress) {
          if (Date.now() - lastLine > 10_000) {
            lastLine = Date.now();
            log(`  ${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${describeProgress(progress)}`);
          }
          const warnings = JSON.stringify(progress.warnings ?? []);
          if (warnings !== lastWarnings) {
            lastWarnings = warnings;
            if (warnings !== '[]') log(`  warnings: ${warnings.slice(0, 1000)}`);
          }
          if (progress.state === 'FAILED') {
            failure = `sync FAILED: ${String(progress.error)}: ${String(progress.errorDescription)}`;
            return null;
          }
          if (done(progress)) return progress;
        }
        if (Date.now() > deadline) {
          failure = `timed out after ${options.timeoutMs / 60_000} min waiting for ${what}; last: ${progress ? describeProgress(progress) : 'no progress'}`;
          return null;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };

    if (await waitFor((p) => p.canCommit === true, 'canCommit')) {
      startToCanCommitMs = Date.now() - startedAt;
      await sampler.noteCanCommit(Date.now());
      log(`canCommit after ${(startToCanCommitMs / 1000).toFixed(1)} s; stopping the application's writes and committing`);
    }
    const writerReport = await writer.stop();
    if (failure === null) {
      await controller.commit();
      if (await waitFor((p) => p.state === 'COMMITTED', 'COMMITTED')) startToCommittedMs = Date.now() - startedAt;
    }
    await sampler.stop();
    await meter.stop();
    const memory = { ...worker.memory(), readyRssBytes: worker.readyMemory.rssBytes };
    log('reading the workflow history');
    const history = await measureHistory(env.client, controller.workflowId).catch((error: unknown) => {
      log(`could not read the workflow history: ${(error as Error).message}`);
      return null;
    });
    await env.client.workflow
      .getHandle(controller.workflowId)
      .terminate('scale run finished')
      .catch(() => undefined);
    await worker.stop();
    worker = undefined;
    let compare: PagedCompareResult | null = null;
    if (failure === null) {
      log('comparing the clusters');
      compare = await compareClustersPaged(clusters.admin.cluster0, clusters.admin.cluster1);
    }
    if (writerReport.errors.length > 0 && failure === null) failure = `the application's writes failed: ${writerReport.errors.slice(0, 3).join('; ')}`;
    return {
      options,
      simulated: clusters.simulated,
      seedMs,
      failure,
      startToCanCommitMs,
      startToCommittedMs,
      samples: sampler.figures,
      worker: { readyRssBytes: memory.readyRssBytes, peakSampledRssBytes: memory.peakSampledRssBytes, hwmBytes: memory.hwmBytes, logFile: join(logDir, 'worker.log') },
      history,
      writer: writerReport,
      compare,
      oplogMeterMissedEntries: meter.missedEntries,
      harnessMaxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    for (const loop of loops) await loop.stop().catch(() => undefined);
    if (worker) await worker.stop().catch(() => undefined);
    if (controller) {
      await env.client.workflow
        .getHandle(controller.workflowId)
        .terminate('scale run finished')
        .catch(() => undefined);
    }
    await clusters.close();
    if (!deps.env) await env.teardown();
  }
}
