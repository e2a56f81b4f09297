// Turns oplog entries into the operations a change stream transforms: plain entries as they are,
// `applyOps` entries (transactions, batched writes) unwound into one operation per element, each
// with its txnOpIndex (transactions in change streams).
import type { Document, Long, Timestamp, UUID } from 'bson';
import type { OplogEntry } from './internal';
import { isPlainDocument } from './bson/values';

export interface StreamOp {
  op: OplogEntry['op'];
  ns: string;
  ui?: UUID;
  o: Document;
  o2?: Document;
  ts: Timestamp;
  wall: Date;
  txnOpIndex: number;
  /** unwound from applyOps: events then carry the entry's lsid and txnNumber, when it has them */
  unwound: boolean;
  lsid?: Document;
  txnNumber?: Long;
  preImage?: Document;
  postImage?: Document;
}

const OP_TYPES = new Set(['i', 'u', 'd', 'c', 'n']);

function isCommittedApplyOps(entry: OplogEntry): boolean {
  return entry.op === 'c' && Array.isArray(entry.o.applyOps) && entry.o.prepare !== true && entry.o.partialTxn !== true;
}

function fromApplyOpsElement(entry: OplogEntry, element: Document, index: number): StreamOp {
  const images = entry.txnImages?.[index];
  const op: StreamOp = {
    op: element.op as StreamOp['op'],
    ns: String(element.ns),
    o: isPlainDocument(element.o) ? element.o : {},
    ts: entry.ts,
    wall: entry.wall,
    txnOpIndex: index,
    unwound: true,
  };
  if (element.ui !== undefined) op.ui = element.ui as UUID;
  if (isPlainDocument(element.o2)) op.o2 = element.o2;
  if (entry.lsid !== undefined) op.lsid = entry.lsid;
  if (entry.txnNumber !== undefined) op.txnNumber = entry.txnNumber;
  const preImage: unknown = images?.preImage ?? element.preImage;
  const postImage: unknown = images?.postImage ?? element.postImage;
  if (isPlainDocument(preImage)) op.preImage = preImage;
  if (isPlainDocument(postImage)) op.postImage = postImage;
  return op;
}

export function unwindEntry(entry: OplogEntry): StreamOp[] {
  if (isCommittedApplyOps(entry)) {
    // the commit entry of a multi-entry transaction carries every element of its chain
    const elements = (entry.txnOps ?? entry.o.applyOps) as unknown[];
    const ops: StreamOp[] = [];
    elements.forEach((element, index) => {
      if (isPlainDocument(element) && OP_TYPES.has(element.op as string)) ops.push(fromApplyOpsElement(entry, element, index));
    });
    return ops;
  }
  const op: StreamOp = {
    op: entry.op,
    ns: entry.ns,
    o: entry.o,
    ts: entry.ts,
    wall: entry.wall,
    txnOpIndex: 0,
    unwound: false,
  };
  if (entry.ui !== undefined) op.ui = entry.ui;
  if (entry.o2 !== undefined) op.o2 = entry.o2;
  if (entry.preImage !== undefined) op.preImage = entry.preImage;
  if (entry.postImage !== undefined) op.postImage = entry.postImage;
  return [op];
}
