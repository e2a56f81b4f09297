// The command table: name -> handler, plus which commands run only on the admin database.
import type { CommandHandler } from '../state';
import { insertCommand } from './insert';
import { updateCommand } from './update';
import { deleteCommand } from './delete';
import { findAndModifyCommand } from './find-and-modify';
import { findCommand } from './find';
import { aggregateCommand } from './aggregate';
import { countCommand, distinctCommand } from './count-distinct';
import { cursorCommands } from './cursor-commands';
import { createCommand } from './create';
import { dropCommand, dropDatabaseCommand, renameCollectionCommand } from './drop';
import { collModCommand } from './coll-mod';
import { createIndexesCommand, dropIndexesCommand, listIndexesCommand } from './indexes';
import { listCollectionsCommand, listDatabasesCommand } from './list';
import { killSessionsCommand } from '../transaction-commands';
import {
  appendOplogNoteCommand,
  collStatsCommand,
  currentOpCommand,
  dbHashCommand,
  dbStatsCommand,
  setUserWriteBlockModeCommand,
} from './admin';

export interface CommandSpec {
  handler: CommandHandler;
  /** commitTransaction/abortTransaction: only as a statement of a transaction */
  transactionOnly?: boolean;
  /** refused with 13 Unauthorized on any database but admin */
  adminOnly?: boolean;
}

export function buildRegistry(): Map<string, CommandSpec> {
  const table = new Map<string, CommandSpec>([
    ['ping', { handler: () => ({}) }],
    ['insert', { handler: insertCommand }],
    ['update', { handler: updateCommand }],
    ['delete', { handler: deleteCommand }],
    ['findAndModify', { handler: findAndModifyCommand }],
    ['find', { handler: findCommand }],
    ['aggregate', { handler: aggregateCommand }],
    ['count', { handler: countCommand }],
    ['distinct', { handler: distinctCommand }],
    ['create', { handler: createCommand }],
    ['drop', { handler: dropCommand }],
    ['dropDatabase', { handler: dropDatabaseCommand }],
    ['renameCollection', { handler: renameCollectionCommand, adminOnly: true }],
    ['collMod', { handler: collModCommand }],
    ['createIndexes', { handler: createIndexesCommand }],
    ['dropIndexes', { handler: dropIndexesCommand }],
    ['deleteIndexes', { handler: dropIndexesCommand }],
    ['listIndexes', { handler: listIndexesCommand }],
    ['listCollections', { handler: listCollectionsCommand }],
    ['listDatabases', { handler: listDatabasesCommand, adminOnly: true }],
    ['setUserWriteBlockMode', { handler: setUserWriteBlockModeCommand, adminOnly: true }],
    ['appendOplogNote', { handler: appendOplogNoteCommand, adminOnly: true }],
    ['dbHash', { handler: dbHashCommand }],
    ['dbStats', { handler: dbStatsCommand }],
    ['collStats', { handler: collStatsCommand }],
    ['currentOp', { handler: currentOpCommand, adminOnly: true }],
    // run by runTransactionStatement before the handler is reached
    ['commitTransaction', { handler: () => ({}), adminOnly: true, transactionOnly: true }],
    ['abortTransaction', { handler: () => ({}), adminOnly: true, transactionOnly: true }],
    ['killAllSessions', { handler: killSessionsCommand }],
    ['killAllSessionsByPattern', { handler: killSessionsCommand }],
    ['killSessions', { handler: killSessionsCommand }],
  ]);
  for (const [name, spec] of Object.entries(cursorCommands)) table.set(name, spec);
  return table;
}
