// Events too large for a reply (change stream getMore): BSONObjectTooLarge, or with
// $changeStreamSplitLargeEvent a split into fragments. Like the server, fields other than _id are
// packed greedily, smallest first (ties by name), each fragment getting its own resume token and
// `splitEvent: {fragment, of}`.
import { calculateObjectSize, type Document } from 'bson';
import { encodeResumeToken, type EventToken } from './change-stream-token';
import { streamError } from './change-stream-errors';
import { formatElement } from './bson/format';
import { compareStrings } from './bson/compare';

/** BSONObjMaxInternalSize: the largest document the server serializes (16 MiB + 16 KiB). */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024 + 16 * 1024;
/** kBSONObjMaxChangeEventSize of $changeStreamSplitLargeEvent. */
export const MAX_UNSPLIT_EVENT_BYTES = MAX_EVENT_BYTES - 8 * 1024;

const EMPTY_DOCUMENT_BYTES = 5;

function elementSize(name: string, value: unknown): number {
  return calculateObjectSize({ [name]: value }) - EMPTY_DOCUMENT_BYTES;
}

export function tooLarge(doc: Document, size: number): Error {
  return streamError(
    10334,
    `BSONObj size: ${size} (0x${size.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${MAX_EVENT_BYTES}(16MB) ` +
      `First element: ${formatElement('_id', doc._id)}`,
  );
}

/** The fragments of `event`, whose serialized size is over MAX_UNSPLIT_EVENT_BYTES. */
export function splitEvent(event: Document, token: EventToken, maxEventBytes = MAX_UNSPLIT_EVENT_BYTES): Document[] {
  const maxFragmentBytes = maxEventBytes - calculateObjectSize(encodeResumeToken(token));
  const fields = Object.keys(event)
    .filter((name) => name !== '_id')
    .map((name) => ({ name, size: elementSize(name, event[name]) }))
    .sort((a, b) => a.size - b.size || compareStrings(a.name, b.name));
  const fragments: Document[] = [];
  let next = 0;
  while (next < fields.length) {
    const fragmentToken = encodeResumeToken({ ...token, fragmentNum: fragments.length });
    const fragment: Document = { _id: fragmentToken, splitEvent: { fragment: fragments.length + 1, of: 0 } };
    let size = calculateObjectSize(fragment);
    do {
      fragment[fields[next].name] = event[fields[next].name];
      size += fields[next].size;
      next++;
    } while (next < fields.length && size + fields[next].size <= maxFragmentBytes);
    if (size > maxFragmentBytes) {
      throw streamError(
        7182500,
        `Splitting change event failed: fragment size ${size} is greater than maximum allowed fragment size ${maxFragmentBytes}`,
      );
    }
    fragments.push(fragment);
  }
  for (const fragment of fragments) (fragment.splitEvent as Document).of = fragments.length;
  return fragments;
}
