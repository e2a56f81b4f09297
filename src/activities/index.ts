// Activities are built by a factory that receives their clients, so tests and workers decide
// which clusters they reach. Workflow code imports only the type.
import type { ClusterClients } from '../mongo/cluster-clients';
import { buildIndexes, type BuildIndexesInput, copyCatalog, type CopyCatalogInput, finalizeDestination, type FinalizeInput } from './catalog';
import { applyChangeEvents, type ApplyChangeEventsInput } from './change-events';
import { noteTime, type NoteTimeInput, setWriteBlocking, type WriteBlockingInput } from './cluster-control';
import { copyPartitionChunk, type CopyChunkInput } from './copy-partition';
import { planCopyPage, type PlanCopyPageInput } from './copy-plan';
import { copyWorkUnit, type CopyWorkUnitInput } from './copy-work-unit';
import { bufferChangeEvents, type BufferChangeEventsInput } from './event-buffer';
import { planPartitions, type PlanPartitionsInput } from './plan-partitions';
import { preflight, type PreflightInput } from './preflight';
import { resyncDocuments, type ResyncInput } from './resync';
import {
  beginVerification,
  type BeginVerificationInput,
  type RecheckInput,
  recheckVerification,
  verifyAtCommit,
  type VerifyAtCommitInput,
  verifyWorkUnit,
  type VerifyWorkUnitInput,
} from './verify';
import { verifyCatalog, type VerifyCatalogInput } from './verify-catalog';
import {
  beginDestinationEvents,
  type BeginDestinationEventsInput,
  followDestinationEvents,
  type FollowDestinationEventsInput,
} from './verify-destination-events';
import { warmUpClusters, type WarmUpClustersInput } from './warm-up';

export interface ActivityDeps {
  clusters: ClusterClients;
}

export function createActivities({ clusters }: ActivityDeps) {
  return {
    preflight: (input: PreflightInput) => preflight(clusters, input),
    noteTime: (input: NoteTimeInput) => noteTime(clusters, input),
    setWriteBlocking: (input: WriteBlockingInput) => setWriteBlocking(clusters, input),
    copyCatalog: (input: CopyCatalogInput) => copyCatalog(clusters, input),
    buildIndexes: (input: BuildIndexesInput) => buildIndexes(clusters, input),
    planPartitions: (input: PlanPartitionsInput) => planPartitions(clusters, input),
    copyPartitionChunk: (input: CopyChunkInput) => copyPartitionChunk(clusters, input),
    planCopyPage: (input: PlanCopyPageInput) => planCopyPage(clusters, input),
    copyWorkUnit: (input: CopyWorkUnitInput) => copyWorkUnit(clusters, input),
    applyChangeEvents: (input: ApplyChangeEventsInput) => applyChangeEvents(clusters, input),
    bufferChangeEvents: (input: BufferChangeEventsInput) => bufferChangeEvents(clusters, input),
    resyncDocuments: (input: ResyncInput) => resyncDocuments(clusters, input),
    finalizeDestination: (input: FinalizeInput) => finalizeDestination(clusters, input),
    beginVerification: (input: BeginVerificationInput) => beginVerification(clusters, input),
    verifyWorkUnit: (input: VerifyWorkUnitInput) => verifyWorkUnit(clusters, input),
    recheckVerification: (input: RecheckInput) => recheckVerification(clusters, input),
    verifyAtCommit: (input: VerifyAtCommitInput) => verifyAtCommit(clusters, input),
    verifyCatalog: (input: VerifyCatalogInput) => verifyCatalog(clusters, input),
    beginDestinationEvents: (input: BeginDestinationEventsInput) => beginDestinationEvents(clusters, input),
    followDestinationEvents: (input: FollowDestinationEventsInput) => followDestinationEvents(clusters, input),
    warmUpClusters: (input: WarmUpClustersInput) => warmUpClusters(clusters, input),
  };
}

export type SyncActivities = ReturnType<typeof createActivities>;
