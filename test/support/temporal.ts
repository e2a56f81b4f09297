// A Temporal test environment on a real server: the one at $TEMPORAL_ADDRESS, or a dev server
// started from the project's Temporal CLI (see `npm run temporal:install`). Without either the
// tests fail: they never fall back to something that is not a real server.
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogLevel, makeTelemetryFilterString, Runtime, type WorkflowBundlePath } from '@temporalio/worker';
import { provisionTemporalCli } from '../../src/temporal/cli-locator';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { cachedWorkflowBundlePath } from './workflow-bundle-cache';

let runtimeInstalled = false;

/** Routes SDK and core logs at WARN and above to stderr, so test output stays readable. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger((process.env.TEST_LOG_LEVEL as LogLevel | undefined) ?? 'WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
}

export async function createTemporalTestEnv(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const address = process.env.TEMPORAL_ADDRESS;
  if (address) {
    const env = await TestWorkflowEnvironment.createFromExistingServer({
      address,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    });
    await registerSearchAttributes(env);
    return env;
  }
  // npm install provisioned it; if that was skipped, the same routes run now (or say what is missing)
  const cli = await provisionTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      searchAttributes: SEARCH_ATTRIBUTES,
      extraArgs,
    },
  });
}

async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const existing = await env.connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.filter((key) => !(key.name in existing.customAttributes));
  if (missing.length === 0) return;
  await env.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]),
    ),
  });
}

/** The workflow bundle of the current sources, built once per test run (workflow-bundle-cache.ts). */
export async function workflowBundle(): Promise<WorkflowBundlePath> {
  return { codePath: await cachedWorkflowBundlePath() };
}

/** A task queue name unique to one test. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
