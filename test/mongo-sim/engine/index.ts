// Entry point of the simulator's engine: createEngine(options) -> Engine (see types.ts).
import type { Engine, EngineOptions } from './types';
import { SimEngine } from './engine';
import type { EngineSettings } from './state';

export { SimEngine } from './engine';
export type { EngineSettings } from './state';

/** Engine options beyond the EngineOptions contract, all optional. */
export interface EngineTuning {
  /** TTL monitor interval (mongod: 60 s); 0 turns the monitor off */
  ttlMonitorIntervalMs?: number;
  /** idle cursor timeout (mongod: 10 minutes) */
  cursorTimeoutMs?: number;
  /** clock source in milliseconds, for tests */
  nowMs?: () => number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  version: '7.0.14',
  oplogSizeBytes: 1024 * 1024 * 1024,
  periodicNoopIntervalMs: 10_000,
  hostAndPort: 'localhost:27017',
};

export function resolveEngineSettings(options: Partial<EngineOptions> & EngineTuning = {}): EngineSettings {
  return {
    version: options.version ?? DEFAULT_ENGINE_OPTIONS.version,
    oplogSizeBytes: options.oplogSizeBytes ?? DEFAULT_ENGINE_OPTIONS.oplogSizeBytes,
    periodicNoopIntervalMs: options.periodicNoopIntervalMs ?? DEFAULT_ENGINE_OPTIONS.periodicNoopIntervalMs,
    hostAndPort: options.hostAndPort ?? DEFAULT_ENGINE_OPTIONS.hostAndPort,
    ttlMonitorIntervalMs: options.ttlMonitorIntervalMs ?? 60_000,
    cursorTimeoutMs: options.cursorTimeoutMs ?? 10 * 60 * 1000,
    nowMs: options.nowMs ?? Date.now,
  };
}

/** Creates an engine; every option has the default shown in DEFAULT_ENGINE_OPTIONS / EngineTuning. */
export function createEngine(options: Partial<EngineOptions> & EngineTuning = {}): Engine {
  return new SimEngine(resolveEngineSettings(options));
}
