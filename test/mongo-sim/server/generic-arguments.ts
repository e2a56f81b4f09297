// Generic command arguments (src/mongo/idl/generic_argument.idl, sessions and generic command arguments): accepted by every
// command and never treated as one of its own fields.

export const GENERIC_ARGUMENTS: ReadonlySet<string> = new Set([
  '$db', '$readPreference', '$clusterTime', '$audit', '$client', '$configServerState', '$configTime',
  '$topologyTime', '$queryOptions', 'lsid', 'txnNumber', 'autocommit', 'startTransaction', 'stmtId',
  'stmtIds', 'readConcern', 'writeConcern', 'maxTimeMS', 'maxTimeMSOpOnly', 'comment', 'apiVersion',
  'apiStrict', 'apiDeprecationErrors', 'clientOperationKey', 'mayBypassWriteBlocking',
  'txnRetryCounter', 'databaseVersion', 'shardVersion', 'tracking_info', 'usesDefaultMaxTimeMS',
  'versionContext', 'rawData', 'help', 'coordinator', 'startOrContinueTransaction', 'requestGossipRoutingCache',
  'expectPrefix', 'isTimeseriesNamespace', 'allowImplicitCollectionCreation',
]);
