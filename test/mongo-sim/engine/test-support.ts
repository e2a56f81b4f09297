// Helpers for the engine's unit tests: an engine without background timers, a command runner
// per database and connection kind, and assertions on CommandErrors and oplog entries.
import assert from 'node:assert/strict';
import type { Document } from 'bson';
import { CommandError, type RequestContext } from './types';
import { resolveEngineSettings, type EngineTuning } from './index';
import { SimEngine } from './engine';
import type { EngineOptions } from './types';
import type { OplogEntry } from './internal';

export interface TestEngine {
  engine: SimEngine;
  /** runs a command on `db` (default 'test') as a connection that may not bypass write blocking */
  run(cmd: Document, db?: string): Promise<Document>;
  /** runs a command as a connection with the bypassWriteBlockingMode privilege */
  runPrivileged(cmd: Document, db?: string): Promise<Document>;
  /** oplog entries appended since the engine started (the initial no-op excluded) */
  oplog(): OplogEntry[];
  /** oplog entries appended after `mark()` was last called */
  since(): OplogEntry[];
  mark(): void;
  close(): void;
}

export function testEngine(options: Partial<EngineOptions> & EngineTuning = {}): TestEngine {
  const engine = new SimEngine(resolveEngineSettings({ periodicNoopIntervalMs: 0, ttlMonitorIntervalMs: 0, ...options }));
  const signal = new AbortController().signal;
  const ctx = (db: string, bypass: boolean): RequestContext => ({ db, mayBypassWriteBlocking: bypass, signal });
  let marked = engine.state.oplog.all().length;
  return {
    engine,
    run: (cmd, db = 'test') => engine.runCommand(cmd, ctx(db, false)),
    runPrivileged: (cmd, db = 'test') => engine.runCommand(cmd, ctx(db, true)),
    oplog: () => engine.state.oplog.all().slice(1),
    since: () => engine.state.oplog.all().slice(marked),
    mark: () => {
      marked = engine.state.oplog.all().length;
    },
    close: () => engine.close(),
  };
}

/** Asserts that `p` rejects with a CommandError of this code (and codeName / message when given). */
export async function assertCommandError(
  p: Promise<unknown>,
  code: number,
  codeName?: string,
  message?: string | RegExp,
): Promise<CommandError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CommandError, `expected a CommandError, got ${String(e)}`);
    assert.equal(e.code, code, `code (message: ${e.message})`);
    if (codeName !== undefined) assert.equal(e.codeName, codeName);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected error ${code}`);
}

/** The first batch of a cursor reply. */
export function firstBatch(reply: Document): Document[] {
  return (reply.cursor as Document).firstBatch as Document[];
}
