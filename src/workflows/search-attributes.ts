// Search attributes that make syncs findable in the Temporal UI and with `temporal workflow list`.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** mongosync state of the sync: IDLE, RUNNING, PAUSED, COMMITTING, COMMITTED, REVERSING */
export const SyncStateAttribute = defineSearchAttributeKey('C2cSyncState', SearchAttributeType.KEYWORD);
/** the mongosync id of the sync (`--id`, default `default`) */
export const SyncIdAttribute = defineSearchAttributeKey('C2cSyncId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [SyncStateAttribute, SyncIdAttribute];
