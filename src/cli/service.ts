// `c2c-sync` (the whole service: worker + HTTP API, and an embedded Temporal server unless
// --temporal-address is given) and `c2c-sync worker` (a worker only).
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { allowedHostNames, type RequestGuardOptions } from '../api/request-guard';
import { createApiServer } from '../api/server';
import { SyncController } from '../client/sync-controller';
import { apiUrlFor, ConfigError, configForLog, type ServiceConfig } from '../config';
import { createLogging, installTemporalRuntime, LOG_FILE_NAME, type Logging } from '../logging';
import { createClusterClients } from '../mongo/cluster-clients';
import { PingMonitor } from '../mongo/ping-monitor';
import { redactedMessage } from '../mongo/redact';
import { createSyncMetrics } from '../observability/metrics';
import { findTemporalCli, type LocatedCli, provisionTemporalCli, TemporalCliError } from '../temporal/cli-locator';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { createSyncWorker } from '../worker';
import { warmUpWorker } from '../temporal/warm-up';
import { workflowIdFor } from '../workflows/messages';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import type { CliIo } from './client';
import { VERSION } from './version';

export class ServiceStartError extends Error {}

export interface RunningService {
  temporalAddress: string;
  apiUrl?: string;
  uiUrl?: string;
  /** resolves with the process exit code once the service has stopped */
  done: Promise<number>;
  /** stops everything in order: API, worker, connections, embedded Temporal */
  stop(): Promise<void>;
  /** moves the log file aside and opens a new one (with --logPath) */
  rotateLogs(): void;
}

/** The worker-only default: an embedded server of a service on the same machine. */
const WORKER_DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/** The embedded server's state directory must be usable: if not, that is bad configuration (exit 2), not a failure. */
function checkStateDir(stateDir: string): void {
  try {
    mkdirSync(stateDir, { recursive: true });
    accessSync(stateDir, constants.W_OK);
  } catch (error) {
    throw new ConfigError(`stateDir ${stateDir}: cannot create or write it (${(error as NodeJS.ErrnoException).code ?? redactedMessage(error)})`);
  }
}

function machineAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((entries) => (entries ?? []).map((entry) => entry.address));
}

/** Who may use the API: see src/api/request-guard.ts. */
function apiGuard(config: ServiceConfig): RequestGuardOptions {
  return {
    allowedHosts: allowedHostNames(config.host, config.allowedHosts, { hostname: hostname(), addresses: machineAddresses() }),
    ...(config.apiToken !== undefined ? { token: config.apiToken } : {}),
    scheme: config.tls ? 'https' : 'http',
  };
}

/** The API's certificate and key; an unreadable file is bad configuration. */
function readTlsFiles(tls: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const read = (file: string, flag: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(`--${flag} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? redactedMessage(error)})`);
    }
  };
  return { cert: read(tls.certFile, 'tls-cert'), key: read(tls.keyFile, 'tls-key') };
}

async function startEmbeddedTemporal(config: ServiceConfig, logger: Logger, io: CliIo): Promise<DevServer> {
  checkStateDir(config.stateDir);
  // `npm install` provisions the CLI; when it did not (c2c-sync installed as a dependency gets no
  // install scripts), the same routes run now, with their progress on stderr.
  let cli: LocatedCli;
  try {
    cli = findTemporalCli() ?? (await provisionTemporalCli({ output: io.stderr }));
  } catch (error) {
    if (!(error instanceof TemporalCliError)) throw error;
    throw new ServiceStartError(`no Temporal CLI to run the embedded Temporal server: ${error.message}`);
  }
  logger.info({ componentName: 'Temporal Server', cli: cli.path, version: cli.version, stateDir: config.stateDir }, 'starting the embedded Temporal server');
  return startDevServer({
    cliPath: cli.path,
    stateDir: config.stateDir,
    ip: config.temporalHost,
    port: config.temporalPort,
    uiPort: config.temporalUiPort,
    namespace: config.temporalNamespace,
    searchAttributes: SEARCH_ATTRIBUTES,
    logger,
  });
}

/**
 * C2C_WORKFLOW_BUNDLE names a workflow bundle built beforehand from this same c2c-sync (Temporal's
 * bundleWorkflowCode on src/workflows): the worker loads it instead of bundling the workflows at
 * start-up, which takes several CPU seconds. The tests set it to build one bundle per test run.
 */
function prebuiltWorkflowBundle(env: NodeJS.ProcessEnv): { workflowBundle?: { codePath: string } } {
  const codePath = env.C2C_WORKFLOW_BUNDLE;
  if (!codePath) return {};
  try {
    accessSync(codePath, constants.R_OK);
  } catch (error) {
    throw new ConfigError(`environment variable C2C_WORKFLOW_BUNDLE: cannot read the workflow bundle ${codePath} (${(error as NodeJS.ErrnoException).code ?? redactedMessage(error)})`);
  }
  return { workflowBundle: { codePath } };
}

export async function startService(config: ServiceConfig, mode: 'service' | 'worker', io: CliIo): Promise<RunningService> {
  const workflowBundle = prebuiltWorkflowBundle(io.env);
  let logging: Logging;
  try {
    logging = createLogging({ syncId: config.id, verbosity: config.verbosity, logPath: config.logPath });
  } catch (error) {
    // an unusable log directory is bad configuration, like any other
    const code = (error as NodeJS.ErrnoException).code ?? redactedMessage(error);
    throw new ConfigError(`logPath ${config.logPath}: cannot write the log file ${LOG_FILE_NAME} there (${code})`);
  }
  const logger = logging.logger;
  installTemporalRuntime(logger, config.verbosity);
  logger.info(configForLog(config, mode, VERSION), 'c2c-sync options');
  for (const warning of config.warnings) logger.warn(warning);

  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.warn({ error: redactedMessage(error) }, 'error while stopping');
      }
    }
    logging.flush();
  };

  try {
    let devServer: DevServer | undefined;
    let temporalAddress = config.temporalAddress ?? WORKER_DEFAULT_TEMPORAL_ADDRESS;
    if (mode === 'service' && !config.temporalAddress) {
      devServer = await startEmbeddedTemporal(config, logger, io);
      cleanups.push(() => devServer!.stop());
      temporalAddress = devServer.address;
    }

    const clusters = createClusterClients({ cluster0: config.cluster0, cluster1: config.cluster1 });
    cleanups.push(() => clusters.close());
    const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
    cleanups.push(() => nativeConnection.close());
    const worker: Worker = await createSyncWorker({
      connection: nativeConnection,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      deps: { clusters },
      maxConcurrentActivities: config.maxConcurrentActivities,
      ...workflowBundle,
    });
    const workerRun = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun.catch(() => undefined);
    });
    logger.info({ componentName: 'Temporal Worker', temporalAddress, taskQueue: config.taskQueue }, 'worker running');
    // in the background: the first /start finds the workflow code compiled and the clusters connected
    void warmUpWorker({ connection: nativeConnection, namespace: config.temporalNamespace, taskQueue: config.taskQueue }).then((outcome) =>
      logger.debug({ componentName: 'Temporal Worker', ...outcome }, 'worker warm-up'),
    );

    let apiUrl: string | undefined;
    if (mode === 'service') {
      const connection = await Connection.connect({ address: temporalAddress });
      cleanups.push(() => connection.close());
      const client = new Client({ connection, namespace: config.temporalNamespace });
      const pings = new PingMonitor({ clusters });
      const controller = new SyncController({ client, syncId: config.id, taskQueue: config.taskQueue, pings, ...(config.tuning ? { tuning: config.tuning } : {}) });
      const metrics = createSyncMetrics({ source: controller, syncId: config.id, pings });
      const api = await createApiServer({
        sync: controller,
        version: VERSION,
        logger,
        metrics,
        guard: apiGuard(config),
        ...(config.tls ? { tls: readTlsFiles(config.tls) } : {}),
      });
      await api.listen({ host: config.host, port: config.port });
      cleanups.push(() => api.close());
      const port = (api.server.address() as { port: number }).port;
      apiUrl = apiUrlFor(config.host, port, config.tls ? 'https' : 'http');
    }

    const uiUrl = devServer ? `${devServer.uiUrl}/namespaces/${config.temporalNamespace}/workflows` : undefined;
    logger.info({ apiUrl, temporalAddress, temporalUiUrl: uiUrl, workflowId: workflowIdFor(config.id) }, 'c2c-sync is ready');
    io.stderr.write(
      [
        `c2c-sync ${VERSION} ${mode === 'service' ? 'is ready' : 'worker is running'} (sync id '${config.id}', workflow ${workflowIdFor(config.id)})`,
        ...(apiUrl ? [`  API:          ${apiUrl}/api/v1  (try: curl${config.apiToken !== undefined ? ' -H "Authorization: Bearer $C2C_API_TOKEN"' : ''} ${apiUrl}/api/v1/progress)`, `  Metrics:      ${apiUrl}/metrics`] : []),
        `  Temporal:     ${temporalAddress} (namespace ${config.temporalNamespace}, task queue ${config.taskQueue})`,
        ...(uiUrl ? [`  Temporal UI:  ${uiUrl}`] : []),
        '',
      ].join('\n'),
    );

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= cleanUp());
    const done = new Promise<number>((resolveDone) => {
      workerRun.then(
        async () => {
          await stop();
          resolveDone(0);
        },
        async (error: unknown) => {
          logger.fatal({ componentName: 'Temporal Worker', error: redactedMessage(error) }, 'the worker failed');
          await stop();
          resolveDone(1);
        },
      );
      void devServer?.exited.then(async (code) => {
        if (stopping) return;
        logger.fatal({ componentName: 'Temporal Server', exitCode: code }, 'the embedded Temporal server exited');
        await stop();
        resolveDone(1);
      });
    });
    return { temporalAddress, ...(apiUrl ? { apiUrl } : {}), ...(uiUrl ? { uiUrl } : {}), done, stop, rotateLogs: () => logging.rotate() };
  } catch (error) {
    logger.fatal({ error: redactedMessage(error) }, 'c2c-sync could not start');
    await cleanUp();
    throw error;
  }
}

/** Runs until SIGINT/SIGTERM (a second one exits at once); SIGUSR1 rotates the log file. */
export async function runService(config: ServiceConfig, mode: 'service' | 'worker', io: CliIo): Promise<number> {
  const service = await startService(config, mode, io);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(130);
    io.stderr.write(`c2c-sync: ${signal} received, stopping (again to exit at once)\n`);
    void service.stop();
  };
  const onRotate = (): void => service.rotateLogs();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (config.logPath) process.on('SIGUSR1', onRotate);
  try {
    return await service.done;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGUSR1', onRotate);
  }
}
