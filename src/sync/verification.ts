// The embedded verifier's part of the workflow state, and what /progress and the commit gate make
// of it (docs/embedded-verifier.md). The verifier's plan, candidates and checkpoints live on the
// destination; this holds cursors, counters and a bounded list of the mismatches to show, so its
// size does not grow with the number of collections or documents. Workflow-safe: no imports.

/** mongosync's verifier phases, as /progress names them. */
export type VerificationPhase = 'not started' | 'initial hashing' | 'stream hashing';

/** Where a span of verification work units resumes: at partition `partition` of unit `unit`, after `after`. */
export interface VerificationResume {
  /** the work unit; absent (resume points recorded before spans) = the span's first */
  unit?: number;
  partition: number;
  /** canonical EJSON of the last _id compared in that partition; null = from its start */
  after: string | null;
}

/** A span of work units being compared, [unit, unit + units), by one verifyWorkUnit call after another. */
export interface OpenVerificationUnit {
  unit: number;
  /** units in the span; absent (spans opened before spans existed) = 1 */
  units?: number;
  resume: VerificationResume | null;
  /** the unit's counters already added to the totals (the activity reports them cumulatively) */
  counted?: { sourceDocuments: number; destinationDocuments: number; collectionsScanned: number };
}

/** A confirmed difference, as shown in /progress and the logs. */
export interface VerificationMismatch {
  /** `db.coll` */
  ns: string;
  /** canonical EJSON of the document's _id; null for a collection-level difference */
  id: string | null;
  kind: string;
  /** what differs in the namespace's catalog (an option, an index), for a catalog difference */
  detail?: string;
}

/** A time on a cluster, {t: seconds, i: increment}. */
export interface VerificationTime {
  t: number;
  i: number;
}

export interface VerificationState {
  /** the verifier's store on the destination is set up and the first pass may run */
  begun: boolean;
  /** work units of the copy plan: [0, unitsTotal) are verified in the first pass */
  unitsTotal: number;
  /** units below this one have been started */
  nextUnit: number;
  unitsDone: number;
  /** started and not finished (at most verifyConcurrency) */
  openUnits: OpenVerificationUnit[];
  /** every unit of the first pass is compared */
  passDone: boolean;
  sourceDocuments: number;
  destinationDocuments: number;
  /** collections whose last partition was compared */
  collectionsScanned: number;
  /** range differences waiting for the applier to pass them, then for a recheck */
  candidates: number;
  /** range differences found so far (most settle on recheck: documents that changed while compared) */
  candidatesFound?: number;
  /** candidates whose source document kept changing at every recheck: the commit check decides them */
  deferred: number;
  /** every candidate detected before this source time has been rechecked */
  recheckedThrough: VerificationTime | null;
  /**
   * the earliest stamp of an undecided candidate: no recheck can decide one before the applier
   * has passed it (null: none known; absent in states recorded before it: recheck at once)
   */
  nextDueAt?: VerificationTime | null;
  /** namespaces whose catalogs (options, indexes, views) the commit check compared; absent before it ran */
  catalogNamespaces?: number;
  mismatchCount: number;
  /** the first MAX_SHOWN_MISMATCHES confirmed mismatches */
  mismatches: VerificationMismatch[];
}

/** Confirmed mismatches kept in the workflow state and shown in /progress; the rest are counted. */
export const MAX_SHOWN_MISMATCHES = 10;

export function initialVerificationState(): VerificationState {
  return {
    begun: false,
    unitsTotal: 0,
    nextUnit: 0,
    unitsDone: 0,
    openUnits: [],
    passDone: false,
    sourceDocuments: 0,
    destinationDocuments: 0,
    collectionsScanned: 0,
    candidates: 0,
    deferred: 0,
    recheckedThrough: null,
    nextDueAt: null,
    mismatchCount: 0,
    mismatches: [],
  };
}

/** The earlier of two times, either possibly unknown (null). */
export function earlierTime(a: VerificationTime | null | undefined, b: VerificationTime | null | undefined): VerificationTime | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return a.t < b.t || (a.t === b.t && a.i <= b.i) ? a : b;
}

/** Whether a recheck can decide a candidate now: the applier has passed the earliest stamp (unknown: yes). */
export function recheckDue(v: VerificationState, appliedThrough: VerificationTime): boolean {
  if (v.candidates <= v.deferred) return false;
  const due = v.nextDueAt;
  if (!due) return true;
  return due.t < appliedThrough.t || (due.t === appliedThrough.t && due.i <= appliedThrough.i);
}

/** Work units one verifyWorkUnit span compares at most. */
export const MAX_VERIFICATION_SPAN = 64;

/**
 * How many of the `remaining` work units the next span takes: a share of what is left per slot
 * (guided self-scheduling), so many small units cost few activities while the last spans, small
 * ones, keep every slot busy to the end; at least 1, at most MAX_VERIFICATION_SPAN.
 */
export function verificationSpan(remaining: number, concurrency: number): number {
  return Math.max(1, Math.min(MAX_VERIFICATION_SPAN, remaining, Math.floor(remaining / (2 * Math.max(1, concurrency)))));
}

/** Adds confirmed mismatches: all are counted, the first few are kept to be shown. */
export function noteMismatches(v: VerificationState, found: readonly VerificationMismatch[], total: number): void {
  v.mismatchCount += total;
  for (const mismatch of found) {
    if (v.mismatches.length >= MAX_SHOWN_MISMATCHES) break;
    v.mismatches.push(mismatch);
  }
}

export function describeMismatch(m: VerificationMismatch): string {
  if (m.detail !== undefined) return `${m.ns}: ${m.detail}`;
  const what =
    m.kind === 'missingOnDestination'
      ? 'is missing on the destination'
      : m.kind === 'extraOnDestination'
        ? 'is on the destination but not on the source'
        : m.kind === 'different'
          ? 'differs between source and destination'
          : m.kind;
  return m.id === null ? `${m.ns}: ${what}` : `${m.ns} document _id ${m.id} ${what}`;
}

/** What the commit check found: a count, and the first few named. */
export interface CommitCheckFindings {
  mismatchCount: number;
  mismatches: readonly VerificationMismatch[];
}

/**
 * The error description of a commit that failed its check: what differs (documents, catalog
 * entries), the first few named, and that the destination stays write-blocked.
 */
export function commitCheckFailureMessage(documents: CommitCheckFindings, catalog: CommitCheckFindings): string {
  const part = (found: CommitCheckFindings, what: string): string => {
    const named = found.mismatches.map(describeMismatch).join('; ');
    const more = found.mismatchCount - found.mismatches.length;
    return `${what}: ${named}${more > 0 ? ` (and ${more} more)` : ''}`;
  };
  const parts: string[] = [];
  if (documents.mismatchCount > 0) {
    parts.push(part(documents, `${documents.mismatchCount} document${documents.mismatchCount === 1 ? '' : 's'} that differ after every event was applied`));
  }
  if (catalog.mismatchCount > 0) {
    parts.push(part(catalog, `${catalog.mismatchCount} catalog difference${catalog.mismatchCount === 1 ? '' : 's'} (collection options, indexes, views)`));
  }
  return `verification found ${parts.join(', and ')}; the destination stays write-blocked`;
}

/** The /progress warnings naming the confirmed mismatches (a bounded list). */
export function mismatchWarnings(v: VerificationState | null): string[] {
  if (!v || v.mismatchCount === 0) return [];
  const shown = v.mismatches.map((m) => `verification mismatch: ${describeMismatch(m)}`);
  const more = v.mismatchCount - v.mismatches.length;
  if (more > 0) shown.push(`verification mismatch: ${more} more (see the logs and c2c_sync_verification_mismatches)`);
  return shown;
}

/** The verifier's phase: not started until CEA, initial hashing during the first pass, then stream hashing. */
export function verificationPhase(v: VerificationState): VerificationPhase {
  if (!v.begun) return 'not started';
  return v.passDone ? 'stream hashing' : 'initial hashing';
}

/** Why the verifier holds canCommit false, or null when it does not. */
export function verificationCommitBlocker(v: VerificationState | null): string | null {
  if (!v) return null;
  if (v.mismatchCount > 0) {
    const first = v.mismatches[0];
    return `verification found ${v.mismatchCount} mismatch${v.mismatchCount === 1 ? '' : 'es'}${first ? ` (first: ${describeMismatch(first)})` : ''}`;
  }
  if (!v.passDone) {
    return `the verifier has not finished its first pass (${v.unitsDone} of ${v.unitsTotal || '?'} work units compared)`;
  }
  const undecided = v.candidates - v.deferred;
  if (undecided > 0) return `the verifier is rechecking ${undecided} document${undecided === 1 ? '' : 's'} that differed while they changed`;
  return null;
}

export interface VerificationSideProgress {
  estimatedDocumentCount: number;
  hashedDocumentCount: number;
  lagTimeSeconds: number;
  totalCollectionCount: number;
  scannedCollectionCount: number;
  phase: VerificationPhase;
}

export interface VerificationProgress {
  source: VerificationSideProgress;
  destination: VerificationSideProgress;
}

/**
 * /progress.verification. `estimatedDocuments` is the copy's count of documents; `sourceTime` the
 * source's newest known time, against which the recheck position gives the verifier's lag.
 */
export function verificationProgress(
  v: VerificationState,
  context: { estimatedDocuments: number; collectionsTotal: number; sourceTime: VerificationTime | null },
): VerificationProgress {
  const phase = verificationPhase(v);
  const lag =
    phase === 'stream hashing' && context.sourceTime && v.recheckedThrough
      ? Math.max(0, context.sourceTime.t - v.recheckedThrough.t)
      : 0;
  const side = (hashed: number): VerificationSideProgress => ({
    estimatedDocumentCount: Math.max(context.estimatedDocuments, hashed),
    hashedDocumentCount: hashed,
    lagTimeSeconds: lag,
    totalCollectionCount: context.collectionsTotal,
    scannedCollectionCount: Math.min(v.collectionsScanned, context.collectionsTotal),
    phase,
  });
  return { source: side(v.sourceDocuments), destination: side(v.destinationDocuments) };
}
