// Change events over 16 MB: on servers that have $changeStreamSplitLargeEvent (7.0, and 6.0.9
// onwards) the stream carries such an event as consecutive fragments, each with its own resume
// token and `splitEvent: {fragment, of}`, each holding some of the event's top-level fields. This
// module puts the fragments back together into the one event the translator expects. Pure.
//
// Checkpoints: the token of the last fragment resumes at the next event, so the reassembled
// event carries it as its `_id`. A token of an earlier fragment resumes inside the event, whose
// first fragments would then never be seen again: while fragments are pending, the caller must
// not checkpoint (`pending` tells it so).

export type StreamDocument = Record<string, unknown>;

/** The stage that makes the server split large events; it must be the pipeline's last stage. */
export const SPLIT_LARGE_EVENT_STAGE = { $changeStreamSplitLargeEvent: {} } as const;

export interface ServerVersionParts {
  major: number;
  minor: number;
  patch: number;
}

/** Whether the server knows $changeStreamSplitLargeEvent: new in 7.0, backported to 6.0.9. */
export function supportsSplitLargeEvent(version: ServerVersionParts): boolean {
  if (version.major !== 6) return version.major > 6;
  return version.minor > 0 || version.patch >= 9;
}

export class SplitEventError extends Error {
  override name = 'SplitEventError';
}

interface SplitMark {
  fragment: number;
  of: number;
}

function splitMark(document: StreamDocument): SplitMark | null {
  const mark = document.splitEvent;
  if (mark === undefined) return null;
  const fragment = Number((mark as { fragment?: unknown } | null)?.fragment);
  const of = Number((mark as { of?: unknown } | null)?.of);
  if (!Number.isInteger(fragment) || !Number.isInteger(of) || fragment < 1 || of < 1 || fragment > of) {
    throw new SplitEventError(`malformed splitEvent ${JSON.stringify(mark)} in a change stream fragment`);
  }
  return { fragment, of };
}

/** Collects fragments of split events; gives back whole events in stream order. */
export class SplitEventAssembler {
  private parts: StreamDocument[] = [];
  private expected = 0;

  /** true while fragments of an event have arrived but not all of them */
  get pending(): boolean {
    return this.parts.length > 0;
  }

  /**
   * Takes the next document of the stream; returns the whole event it completes (an unsplit
   * event at once), or null while fragments are still missing.
   */
  push(document: StreamDocument): StreamDocument | null {
    const mark = splitMark(document);
    if (mark === null) {
      if (this.pending) {
        throw new SplitEventError(
          `an unsplit change event arrived after fragment ${this.parts.length} of ${this.expected}: fragments are missing`,
        );
      }
      return document;
    }
    if (!this.pending) {
      if (mark.fragment !== 1) {
        throw new SplitEventError(
          `the stream began inside a split event (fragment ${mark.fragment} of ${mark.of}): its earlier fragments are lost`,
        );
      }
      this.expected = mark.of;
    } else if (mark.of !== this.expected || mark.fragment !== this.parts.length + 1) {
      throw new SplitEventError(
        `fragment ${mark.fragment} of ${mark.of} arrived after fragment ${this.parts.length} of ${this.expected}`,
      );
    }
    this.parts.push(document);
    if (this.parts.length < this.expected) return null;
    const parts = this.parts;
    this.parts = [];
    this.expected = 0;
    return mergeFragments(parts);
  }
}

/** One event from all its fragments: every field but splitEvent, `_id` from the last fragment. */
export function mergeFragments(fragments: readonly StreamDocument[]): StreamDocument {
  const event: StreamDocument = {};
  for (const fragment of fragments) {
    for (const [name, value] of Object.entries(fragment)) {
      if (name === '_id' || name === 'splitEvent') continue;
      if (name in event) throw new SplitEventError(`field '${name}' appears in two fragments of one split event`);
      event[name] = value;
    }
  }
  return { _id: fragments[fragments.length - 1]!._id, ...event };
}
