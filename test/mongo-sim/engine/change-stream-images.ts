// fullDocument (post-image / updateLookup) and fullDocumentBeforeChange (pre-image) of events
// (change events). The pre-image stage runs before the post-image stage, like
// the server's; images exist only for update, replace and delete events.
import type { Document } from 'bson';
import type { CatalogReader } from './internal';
import type { CommandError } from './types';
import type { RawEvent } from './change-stream-events';
import type { ChangeStreamSpec } from './change-stream-spec';
import { uuidHex } from './change-stream-events';
import { streamError } from './change-stream-errors';
import { formatDocument } from './bson/format';

export interface WithImages {
  doc: Document;
  /** set when a `required` image is missing: raised if the event survives the user's stages */
  missingRequired?: CommandError;
}

const PRE_IMAGE_OPS = new Set(['update', 'replace', 'delete']);

function describeForError(doc: Document): string {
  const brief: Document = { operationType: doc.operationType, ns: doc.ns, clusterTime: doc.clusterTime };
  if (doc.txnNumber !== undefined) brief.txnNumber = doc.txnNumber;
  return formatDocument(brief);
}

function missingPreImage(doc: Document): CommandError {
  return streamError(
    47,
    'Change stream was configured to require a pre-image for all update, delete and replace events, ' +
      `but the pre-image was not found for event: ${describeForError(doc)}`,
  );
}

function missingPostImage(doc: Document): CommandError {
  return streamError(
    47,
    'Change stream was configured to require a post-image for all update events, ' +
      `but the post-image was not found for event: ${describeForError(doc)}`,
  );
}

/** The current version of the document, or null if it or its collection (same UUID) is gone. */
function lookUpCurrent(event: RawEvent, catalog: CatalogReader): Document | null {
  if (event.db === undefined || event.coll === undefined) return null;
  const current = catalog.collectionUUID(event.db, event.coll);
  const original = event.source.ui;
  if (current === undefined || (original !== undefined && uuidHex(current) !== uuidHex(original))) return null;
  const key = event.doc.documentKey as Document | undefined;
  return catalog.findById(event.db, event.coll, key?._id) ?? null;
}

export function addImages(event: RawEvent, spec: ChangeStreamSpec, catalog: CatalogReader): WithImages {
  const doc: Document = { ...event.doc };
  let missingRequired: CommandError | undefined;
  if (spec.fullDocumentBeforeChange !== 'off' && PRE_IMAGE_OPS.has(event.operationType)) {
    const pre = event.source.preImage;
    if (pre === undefined && spec.fullDocumentBeforeChange === 'required') missingRequired = missingPreImage(doc);
    doc.fullDocumentBeforeChange = pre ?? null;
  }
  if (event.operationType === 'update' && spec.fullDocument !== 'default') {
    if (spec.fullDocument === 'updateLookup') {
      doc.fullDocument = lookUpCurrent(event, catalog);
    } else {
      const post = event.source.postImage;
      if (post === undefined && spec.fullDocument === 'required') missingRequired ??= missingPostImage(doc);
      doc.fullDocument = post ?? null;
    }
  }
  return missingRequired ? { doc, missingRequired } : { doc };
}
