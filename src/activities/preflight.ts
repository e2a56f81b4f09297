// Preflight checks run by /start before anything is copied (mongosync's documented requirements: https://www.mongodb.com/docs/cluster-to-cluster-sync/current/reference/mongosync/mongosync-considerations/).
import { ApplicationFailure } from '@temporalio/common';
import type { Document, MongoClient } from 'mongodb';
import { listNonSystemDatabases, serverVersion } from '../mongo/commands';
import type { ClusterClients } from '../mongo/cluster-clients';
import type { ClusterLabel } from '../sync/vocabulary';
import { redactedMessage } from '../mongo/redact';
import { SyncErrorName } from '../sync/errors';
import { compileNamespaceFilter } from '../sync/namespace-filter';
import { collectionCountProblem, documentSizeProblem, MAX_SYNCED_COLLECTIONS } from '../sync/scale-limits';
import { blocksDestinationWrites, blocksSourceWritesAtCommit, type NamespaceFilterSpec, type WriteBlockingMode } from '../sync/start-options';

export interface PreflightInput {
  source: ClusterLabel;
  destination: ClusterLabel;
  /** user write blocking: destination during the sync, and the source at commit */
  writeBlocking: WriteBlockingMode;
  /** databases that never count as user data on the destination (our own metadata) */
  ignoredDestinationDatabases: string[];
  /** the sync's namespace filter: only the collections it includes count towards the limits */
  includeNamespaces?: NamespaceFilterSpec[];
  excludeNamespaces?: NamespaceFilterSpec[];
  /** collections one sync copies, at most (tests lower it); MAX_SYNCED_COLLECTIONS by default */
  collectionLimit?: number;
}

export interface ClusterDescription {
  label: ClusterLabel;
  host: string;
  version: string;
  setName: string;
}

export interface PreflightResult {
  source: ClusterDescription;
  destination: ClusterDescription;
}

function fail(message: string): never {
  throw ApplicationFailure.nonRetryable(message, SyncErrorName.PreflightFailed);
}

interface ClusterFacts extends ClusterDescription {
  hosts: string[];
  replicaSetId?: string;
  authenticated: boolean;
  clusterActions: Set<string>;
  maxBsonObjectSize: number;
}

/** Starts `read` now; its failure surfaces where the result is awaited, never as an unhandled rejection. */
function started<T>(read: () => Promise<T>): Promise<T> {
  const promise = read();
  promise.catch(() => undefined);
  return promise;
}

async function inspect(clusters: ClusterClients, label: ClusterLabel): Promise<ClusterFacts> {
  const client = clusters.client(label);
  // Four reads sent at once (one round trip instead of four), judged in the order of the checks:
  // a cluster that cannot be reached, or is no replica set, is reported as such.
  const helloRead = started(() => client.db('admin').command({ hello: 1 }));
  const versionRead = started(() => serverVersion(client));
  const statusRead = started(() => client.db('admin').command({ connectionStatus: 1, showPrivileges: true }));
  const replicaSetIdRead = started(() => replicaSetId(client));
  let hello: Document;
  try {
    hello = await helloRead;
  } catch (error) {
    fail(`cannot reach ${label} (${clusters.host(label)}): ${redactedMessage(error)}`);
  }
  if (typeof hello.setName !== 'string' || hello.setName === '') {
    fail(`${label} (${clusters.host(label)}) is not a replica set; c2c-sync syncs replica sets only`);
  }
  const { version, major } = await versionRead;
  if (major < 6) fail(`${label} runs MongoDB ${version}; c2c-sync needs MongoDB 6.0 or later`);
  const status = await statusRead;
  const authInfo = (status.authInfo as Document | undefined) ?? {};
  const users = (authInfo.authenticatedUsers as unknown[] | undefined) ?? [];
  const privileges = (authInfo.authenticatedUserPrivileges as Document[] | undefined) ?? [];
  const clusterActions = new Set<string>();
  for (const privilege of privileges) {
    if ((privilege.resource as Document | undefined)?.cluster === true) {
      for (const action of (privilege.actions as string[] | undefined) ?? []) clusterActions.add(action);
    }
  }
  return {
    label,
    host: clusters.host(label),
    version,
    setName: hello.setName,
    hosts: ((hello.hosts as string[] | undefined) ?? []).map((host) => host.toLowerCase()),
    replicaSetId: await replicaSetIdRead,
    authenticated: users.length > 0,
    clusterActions,
    maxBsonObjectSize: Number(hello.maxBsonObjectSize),
  };
}

async function replicaSetId(client: MongoClient): Promise<string | undefined> {
  try {
    const reply = await client.db('admin').command({ replSetGetConfig: 1 });
    const id: unknown = (reply.config as Document | undefined)?.settings?.replicaSetId;
    return id === undefined || id === null ? undefined : String(id);
  } catch {
    return undefined;
  }
}

/** The source collections (not views) the filter includes, counted up to `stopAt`. */
async function countIncludedCollections(source: MongoClient, input: PreflightInput, stopAt: number): Promise<number> {
  const matcher = compileNamespaceFilter({ includeNamespaces: input.includeNamespaces ?? [], excludeNamespaces: input.excludeNamespaces ?? [] });
  let count = 0;
  for (const db of await listNonSystemDatabases(source)) {
    if (!matcher.isDatabaseIncluded(db)) continue;
    const names = source.db(db).listCollections({ type: 'collection' }, { nameOnly: true, authorizedCollections: true });
    for await (const { name } of names) {
      if (matcher.isNamespaceIncluded(db, name)) count++;
      if (count >= stopAt) {
        await names.close();
        return count;
      }
    }
  }
  return count;
}

function checkWriteBlockingPrivileges(facts: ClusterFacts, role: string): void {
  if (!facts.authenticated) {
    fail(
      `enableUserWriteBlocking needs authentication on the ${role} (${facts.label}): with authentication ` +
        'off, blocking user writes also blocks c2c-sync, which must bypass the block with the ' +
        'bypassWriteBlockingMode privilege',
    );
  }
  const missing = ['setUserWriteBlockMode', 'bypassWriteBlockingMode'].filter((action) => !facts.clusterActions.has(action));
  if (missing.length > 0) {
    fail(
      `enableUserWriteBlocking needs the ${missing.join(' and ')} privilege${missing.length > 1 ? 's' : ''} on the ` +
        `${role} (${facts.label}); grant a role such as restore or root`,
    );
  }
}

export async function preflight(clusters: ClusterClients, input: PreflightInput): Promise<PreflightResult> {
  // Both clusters at once (each is a few round trips, and a first connection with its
  // authentication); a problem with the source is reported first, as when inspected in turn. The
  // destination's databases and the source's collections are read meanwhile too (reads only),
  // and judged after the clusters, in the order of the checks.
  const collectionLimit = input.collectionLimit ?? MAX_SYNCED_COLLECTIONS;
  const destinationDatabasesRead = started(() => listNonSystemDatabases(clusters.client(input.destination)));
  const includedCollectionsRead = started(() => countIncludedCollections(clusters.client(input.source), input, collectionLimit + 1));
  const [sourceFacts, destinationFacts] = await Promise.allSettled([inspect(clusters, input.source), inspect(clusters, input.destination)]);
  if (sourceFacts.status === 'rejected') throw sourceFacts.reason;
  if (destinationFacts.status === 'rejected') throw destinationFacts.reason;
  const source = sourceFacts.value;
  const destination = destinationFacts.value;

  const sharedHosts = source.hosts.filter((host) => destination.hosts.includes(host));
  if (sharedHosts.length > 0 || (source.replicaSetId !== undefined && source.replicaSetId === destination.replicaSetId)) {
    fail(`source (${source.label}) and destination (${destination.label}) are the same cluster`);
  }

  const userDatabases = (await destinationDatabasesRead).filter(
    (name) => !input.ignoredDestinationDatabases.includes(name),
  );
  if (userDatabases.length > 0) {
    fail(
      `the destination (${destination.label}) must hold no user data, but it has the database` +
        `${userDatabases.length > 1 ? 's' : ''} ${userDatabases.map((name) => `'${name}'`).join(', ')}`,
    );
  }

  const sizeProblem = documentSizeProblem(source.maxBsonObjectSize, destination.maxBsonObjectSize);
  if (sizeProblem) fail(sizeProblem);
  const countProblem = collectionCountProblem(await includedCollectionsRead, collectionLimit);
  if (countProblem) fail(countProblem);

  if (blocksDestinationWrites(input.writeBlocking)) checkWriteBlockingPrivileges(destination, 'destination');
  if (blocksSourceWritesAtCommit(input.writeBlocking)) checkWriteBlockingPrivileges(source, 'source');

  const describe = ({ label, host, version, setName }: ClusterFacts): ClusterDescription => ({ label, host, version, setName });
  return { source: describe(source), destination: describe(destination) };
}
