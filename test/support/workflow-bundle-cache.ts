// The workflow bundle, built once per test run instead of once per test process. Webpack takes
// several CPU seconds per bundle, and the integration and end-to-end suites start dozens of
// processes (test files, `c2c-sync worker` and service children) that each needed one.
//
// The bundle is kept in the temporary directory under a hash of everything it is built from: every
// file under src/ (the workflows and what they import), package-lock.json (the versions of the
// SDK and of the libraries bundled in) and this checkout's path (the inline source map names its
// files). Any change to one of them gives a new hash, so a bundle is never used for other code.
// Processes that need the same bundle at once wait for the one that builds it (a lock file
// holding the builder's pid; a lock whose process is gone is taken over).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../../src/worker';

const ROOT = join(__dirname, '..', '..');
const CACHE_DIR = join(tmpdir(), 'c2c-sync-test-workflow-bundles');
/** Bundles of other code are removed once they are this old (other checkouts may be using theirs). */
const STALE_BUNDLE_MS = 24 * 3600_000;
const WAIT_FOR_BUILDER_MS = 10 * 60_000;

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path));
    else found.push(path);
  }
  return found;
}

/** A hash of the bundle's inputs. */
export function bundleInputsHash(): string {
  const hash = createHash('sha256');
  hash.update(`root ${ROOT}\n`);
  for (const file of [...filesUnder(join(ROOT, 'src')), join(ROOT, 'package-lock.json')]) {
    hash.update(`${relative(ROOT, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 32);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function removeStaleBundles(keep: string): void {
  for (const name of readdirSync(CACHE_DIR)) {
    const path = join(CACHE_DIR, name);
    if (path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_BUNDLE_MS) rmSync(path, { force: true });
    } catch {
      // removed meanwhile
    }
  }
}

/** Takes the build lock: true when this process is to build the bundle. */
function takeLock(lock: string): boolean {
  try {
    const fd = openSync(lock, 'wx');
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let holder = NaN;
  try {
    holder = Number(readFileSync(lock, 'utf8'));
  } catch {
    return takeLock(lock); // released meanwhile
  }
  // a lock just created may not hold its pid yet; one whose builder died is taken over
  const builderGone = Number.isInteger(holder) && holder > 0 ? !isAlive(holder) : Date.now() - statSync(lock).mtimeMs > 30_000;
  if (builderGone) {
    rmSync(lock, { force: true });
    return takeLock(lock);
  }
  return false;
}

let cached: Promise<string> | undefined;

/** The path of the workflow bundle for the current sources, built if no process has built it yet. */
export function cachedWorkflowBundlePath(): Promise<string> {
  cached ??= (async () => {
    mkdirSync(CACHE_DIR, { recursive: true });
    const path = join(CACHE_DIR, `${bundleInputsHash()}.js`);
    const lock = `${path}.lock`;
    const deadline = Date.now() + WAIT_FOR_BUILDER_MS;
    while (!exists(path)) {
      if (takeLock(lock)) {
        try {
          if (!exists(path)) {
            const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
            const partial = `${path}.${process.pid}.partial`;
            writeFileSync(partial, code);
            renameSync(partial, path);
          }
        } finally {
          rmSync(lock, { force: true });
        }
        removeStaleBundles(path);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the workflow bundle ${path} was not built within ${WAIT_FOR_BUILDER_MS} ms (lock ${lock})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return path;
  })();
  return cached;
}

/**
 * The environment that has a `c2c-sync` child (service or worker) load the run's bundle instead
 * of bundling the workflows itself at start-up (C2C_WORKFLOW_BUNDLE, src/cli/service.ts).
 */
export async function prebuiltBundleEnv(): Promise<{ C2C_WORKFLOW_BUNDLE: string }> {
  return { C2C_WORKFLOW_BUNDLE: await cachedWorkflowBundlePath() };
}
