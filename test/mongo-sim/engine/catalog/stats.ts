// Collection size statistics for $collStats and dbStats. Data sizes are exact BSON sizes;
// storage and index sizes are estimates (no compression, fixed per-entry index overhead).
import { Int32, Long, type Document } from 'bson';
import type { EngineState } from '../state';
import { cappedLimits, idIndexSpec, type CollectionInfo } from './catalog';

const PAGE = 4096;
/** estimated bytes per index entry besides the key itself */
const INDEX_ENTRY_OVERHEAD = 16;
const ESTIMATED_KEY_BYTES = 16;

function pages(bytes: number): number {
  return bytes === 0 ? PAGE : Math.ceil(bytes / PAGE) * PAGE;
}

export interface CollectionSizes {
  count: number;
  size: number;
  storageSize: number;
  indexSizes: Record<string, number>;
  totalIndexSize: number;
}

export function collectionSizes(state: EngineState, info: CollectionInfo): CollectionSizes {
  const count = info.virtualOplog ? state.oplog.count() : info.store.count;
  const size = info.virtualOplog ? state.oplog.sizeBytes() : info.store.dataSize;
  const indexSizes: Record<string, number> = {};
  const names = [...(idIndexSpec(info) ? ['_id_'] : []), ...info.store.indexes.map((ix) => ix.name)];
  for (const name of names) indexSizes[name] = pages(count * (ESTIMATED_KEY_BYTES + INDEX_ENTRY_OVERHEAD));
  const totalIndexSize = Object.values(indexSizes).reduce((a, b) => a + b, 0);
  return { count, size, storageSize: pages(size), indexSizes, totalIndexSize };
}

function num(n: number): Int32 | Long {
  return n <= 2147483647 ? new Int32(n) : Long.fromNumber(n);
}

/** storageStats of $collStats, scaled like the server (avgObjSize unscaled). */
export function storageStats(state: EngineState, info: CollectionInfo, scale: number): Document {
  const s = collectionSizes(state, info);
  const scaled = (n: number): Int32 | Long => num(Math.floor(n / scale));
  const capped = cappedLimits(info);
  const out: Document = {
    size: scaled(s.size),
    count: num(s.count),
    numOrphanDocs: new Int32(0),
    storageSize: scaled(s.storageSize),
    freeStorageSize: new Int32(0),
    capped: capped !== undefined,
  };
  if (s.count > 0) out.avgObjSize = num(Math.floor(s.size / s.count));
  else out.avgObjSize = new Int32(0);
  if (capped) {
    out.max = num(capped.maxDocs ?? 0);
    out.maxSize = scaled(capped.sizeBytes);
  }
  out.nindexes = new Int32(Object.keys(s.indexSizes).length);
  out.indexDetails = {};
  out.indexBuilds = [];
  out.totalIndexSize = scaled(s.totalIndexSize);
  out.totalSize = scaled(s.storageSize + s.totalIndexSize);
  out.indexSizes = Object.fromEntries(Object.entries(s.indexSizes).map(([k, v]) => [k, scaled(v)]));
  out.scaleFactor = new Int32(scale);
  return out;
}
