// BSON size helpers: exact document sizes, and collection sizes for planning. Activity-side (uses
// the driver's BSON serializer to measure documents exactly).
import { BSON, type Document } from 'mongodb';

/** The server's maximum document size. */
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

/** Exact serialized BSON size of one document, in bytes. */
export function bsonSize(doc: Document): number {
  return BSON.calculateObjectSize(doc);
}

export interface CollectionSizeStats {
  /** uncompressed data size in bytes ($collStats storageStats.size) */
  size?: number;
  /** document count */
  count?: number;
  /** average document size in bytes */
  avgObjSize?: number;
}

/**
 * Bytes a collection's copy is expected to move: its data size when known, otherwise
 * count × average size, otherwise 0. Never negative, always an integer.
 */
export function estimateCollectionBytes(stats: CollectionSizeStats): number {
  const usable = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (usable(stats.size)) return Math.round(stats.size);
  if (usable(stats.count) && usable(stats.avgObjSize)) return Math.round(stats.count * stats.avgObjSize);
  return 0;
}

/** Average document size for partition planning; 0 for an empty collection. */
export function averageDocumentSize(stats: CollectionSizeStats): number {
  if (typeof stats.avgObjSize === 'number' && Number.isFinite(stats.avgObjSize) && stats.avgObjSize > 0) return stats.avgObjSize;
  if (typeof stats.count === 'number' && stats.count > 0 && typeof stats.size === 'number' && stats.size > 0) {
    return stats.size / stats.count;
  }
  return 0;
}
