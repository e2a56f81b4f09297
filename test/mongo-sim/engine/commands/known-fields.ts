// The fields of the IDL-defined (strict) commands, as MongoDB 7.0/8.0 accept them: anything else
// that is not a generic argument fails with 40415, so a misspelled option fails here as it would
// on a real server. Internal fields the server also accepts are listed so they pass.

const COMMON_INTERNAL = ['collectionUUID', 'encryptionInformation', 'isTimeseriesNamespace', 'rawData', 'includeQueryStatsMetrics'];

export const KNOWN_FIELDS: Record<string, readonly string[]> = {
  find: [
    'filter', 'projection', 'sort', 'hint', 'skip', 'limit', 'batchSize', 'singleBatch', 'max', 'min',
    'returnKey', 'showRecordId', 'tailable', 'oplogReplay', 'noCursorTimeout', 'awaitData',
    'allowPartialResults', 'collation', 'allowDiskUse', 'let', 'readOnce', 'allowSpeculativeMajorityRead',
    '$_requestResumeToken', '$_resumeAfter', '$_startAt', 'term', 'ntoreturn', 'querySettings', ...COMMON_INTERNAL,
  ],
  aggregate: [
    'pipeline', 'explain', 'allowDiskUse', 'cursor', 'bypassDocumentValidation', 'collation', 'hint', 'let',
    'needsMerge', 'fromMongos', 'fromRouter', 'exchange', 'runtimeConstants', 'isMapReduceCommand',
    '$_requestReshardingResumeToken', '$_generateV2ResumeTokens', 'passthroughToShard', 'querySettings',
    ...COMMON_INTERNAL,
  ],
  insert: ['documents', 'ordered', 'bypassDocumentValidation', 'bypassEmptyTsReplacement', ...COMMON_INTERNAL],
  update: ['updates', 'ordered', 'bypassDocumentValidation', 'let', 'bypassEmptyTsReplacement', ...COMMON_INTERNAL],
  delete: ['deletes', 'ordered', 'let', 'bypassDocumentValidation', ...COMMON_INTERNAL],
  'update.updates': ['q', 'u', 'c', 'upsert', 'multi', 'arrayFilters', 'hint', 'collation', 'sort', 'upsertSupplied', 'sampleId', 'allowShardKeyUpdatesWithoutFullShardKeyInQuery', '$_allowShardKeyUpdatesWithoutFullShardKeyInQuery'],
  'delete.deletes': ['q', 'limit', 'hint', 'collation', 'sampleId', '$_allowShardKeyUpdatesWithoutFullShardKeyInQuery'],
  findAndModify: [
    'query', 'fields', 'sort', 'remove', 'update', 'new', 'upsert', 'bypassDocumentValidation', 'collation',
    'arrayFilters', 'hint', 'let', 'sampleId', '$_fromRouter', ...COMMON_INTERNAL,
  ],
  getMore: ['collection', 'batchSize', 'term', 'lastKnownCommittedOpTime', 'includeQueryStatsMetrics'],
  killCursors: ['cursors'],
  count: ['query', 'limit', 'skip', 'hint', 'collation', 'fields', 'mirrored', 'sampleId', ...COMMON_INTERNAL],
  distinct: ['key', 'query', 'collation', 'hint', 'mirrored', 'sampleId', ...COMMON_INTERNAL],
  createIndexes: ['indexes', 'commitQuorum', 'ignoreUnknownIndexOptions', 'returnOnStart', ...COMMON_INTERNAL],
  dropIndexes: ['index', ...COMMON_INTERNAL],
  listIndexes: ['cursor', 'includeBuildUUIDs', 'includeIndexBuildInfo', ...COMMON_INTERNAL],
  drop: [...COMMON_INTERNAL],
  renameCollection: ['to', 'dropTarget', 'stayTemp', 'collectionUUID', 'targetUUID', 'newTargetCollectionUuid'],
};
