// The databases a fresh single-node replica set already has: admin, config and local.
import { Int32, type Document } from 'bson';
import { bsonSize } from '../storage/doc-size';
import type { EngineState } from '../state';
import { fcvOf } from '../version';

function seedCollection(state: EngineState, db: string, name: string, options: Document, docs: Document[] = []): void {
  const info = state.catalog.addCollection(db, name, options);
  for (const doc of docs) info.store.insert(doc, bsonSize(doc));
}

/** Creates the internal collections without oplog entries (they predate the simulated history). */
export function seedInternalDatabases(state: EngineState): void {
  const { hostAndPort, oplogSizeBytes } = state.settings;
  seedCollection(state, 'admin', 'system.version', {}, [
    { _id: 'featureCompatibilityVersion', version: fcvOf(state.version) },
  ]);
  seedCollection(state, 'config', 'system.sessions', {});
  state.catalog.getCollection('config', 'system.sessions')!.store.indexes.push({
    spec: { v: 2, key: { lastUse: 1 }, name: 'lsidTTLIndex', expireAfterSeconds: new Int32(1800) },
    name: 'lsidTTLIndex',
    keyPattern: { lastUse: 1 },
    fields: ['lastUse'],
    unique: false,
    prepareUnique: false,
    sparse: false,
    hidden: false,
    expireAfterSeconds: 1800,
  });
  const oplog = state.catalog.addCollection('local', 'oplog.rs', { capped: true, size: oplogSizeBytes, autoIndexId: false });
  oplog.virtualOplog = true;
  seedCollection(state, 'local', 'startup_log', { capped: true, size: new Int32(10485760) }, [
    { _id: `${hostAndPort.split(':')[0]}-${state.startedAt}`, hostname: hostAndPort.split(':')[0], startTime: new Date(state.startedAt), pid: process.pid },
  ]);
}
