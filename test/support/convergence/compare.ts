// The final check of a convergence run: the destination equals the source byte for byte
// (namespaces, collection options, indexes, and documents with their BSON types and field
// order). Each divergence names the namespace, the `_id` and the first field that differs.
import { BSON, type Document, type MongoClient } from 'mongodb';
import { normalizeIndex, rawDocuments, sortedKeys, splitNamespace, userNamespaces } from '../compare-clusters';

export interface Divergence {
  ns: string;
  kind: 'namespace' | 'options' | 'index' | 'document';
  /** canonical Extended JSON of the document's `_id` (document divergences) */
  id?: string;
  message: string;
}

const MAX_DOCUMENT_DIVERGENCES_PER_NAMESPACE = 8;
const MAX_VALUE_CHARS = 160;

export function ejson(value: unknown): string {
  const text = BSON.EJSON.stringify({ v: value }, { relaxed: false }).slice(5, -1);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}… (${text.length} chars)` : text;
}

function isPlainDocument(value: unknown): value is Document {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !ArrayBuffer.isView(value) &&
    (value as { _bsontype?: unknown })._bsontype === undefined
  );
}

/** Where two BSON values first differ (field names and their order included), or null when equal. */
export function firstDifference(source: unknown, destination: unknown, path = ''): string | null {
  const at = path || '(top level)';
  if (isPlainDocument(source) && isPlainDocument(destination)) {
    const sourceKeys = Object.keys(source);
    const destinationKeys = Object.keys(destination);
    for (let i = 0; i < Math.max(sourceKeys.length, destinationKeys.length); i++) {
      const s = sourceKeys[i];
      const d = destinationKeys[i];
      if (s !== d) {
        const describe = (name: string | undefined) => (name === undefined ? 'absent' : `'${name}'`);
        return `${at}: field #${i + 1} is ${describe(s)} on the source, ${describe(d)} on the destination`;
      }
      const inner = firstDifference(source[s!], destination[d!], path ? `${path}.${s}` : s);
      if (inner) return inner;
    }
    return null;
  }
  if (Array.isArray(source) && Array.isArray(destination)) {
    for (let i = 0; i < Math.max(source.length, destination.length); i++) {
      if (i >= source.length || i >= destination.length) {
        return `${path}: array of ${source.length} elements on the source, ${destination.length} on the destination`;
      }
      const inner = firstDifference(source[i], destination[i], `${path}.${i}`);
      if (inner) return inner;
    }
    return null;
  }
  const s = ejson(source);
  const d = ejson(destination);
  return s === d ? null : `${at}: source ${s}, destination ${d}`;
}

function deserialize(raw: Buffer): Document {
  return BSON.deserialize(raw, { promoteValues: false, promoteBuffers: false, promoteLongs: false });
}

async function documentDivergences(source: MongoClient, destination: MongoClient, ns: string): Promise<Divergence[]> {
  const [db, coll] = splitNamespace(ns);
  const byId = async (client: MongoClient) => {
    const docs = new Map<string, { raw: Buffer; doc: Document }>();
    for (const raw of await rawDocuments(client, db, coll)) {
      const doc = deserialize(raw);
      docs.set(ejson(doc._id), { raw, doc });
    }
    return docs;
  };
  const sourceDocs = await byId(source);
  const destinationDocs = await byId(destination);
  const found: Divergence[] = [];
  for (const [id, s] of sourceDocs) {
    const d = destinationDocs.get(id);
    if (!d) found.push({ ns, kind: 'document', id, message: 'missing on the destination' });
    else if (!s.raw.equals(d.raw)) {
      found.push({ ns, kind: 'document', id, message: firstDifference(s.doc, d.doc) ?? 'same values, different bytes' });
    }
  }
  for (const id of destinationDocs.keys()) {
    if (!sourceDocs.has(id)) found.push({ ns, kind: 'document', id, message: 'on the destination only (deleted on the source, or never there)' });
  }
  if (found.length > MAX_DOCUMENT_DIVERGENCES_PER_NAMESPACE) {
    const more = found.length - MAX_DOCUMENT_DIVERGENCES_PER_NAMESPACE;
    found.length = MAX_DOCUMENT_DIVERGENCES_PER_NAMESPACE;
    found.push({ ns, kind: 'document', message: `… and ${more} more documents differ (${sourceDocs.size} on the source, ${destinationDocs.size} on the destination)` });
  }
  return found;
}

async function indexDivergences(source: MongoClient, destination: MongoClient, ns: string): Promise<Divergence[]> {
  const [db, coll] = splitNamespace(ns);
  const byName = async (client: MongoClient) =>
    new Map((await client.db(db).collection(coll).listIndexes().toArray()).map((spec) => [String(spec.name), JSON.stringify(normalizeIndex(spec))]));
  const sourceIndexes = await byName(source);
  const destinationIndexes = await byName(destination);
  const found: Divergence[] = [];
  for (const [name, spec] of sourceIndexes) {
    const other = destinationIndexes.get(name);
    if (other === undefined) found.push({ ns, kind: 'index', message: `index '${name}' missing on the destination: ${spec}` });
    else if (other !== spec) found.push({ ns, kind: 'index', message: `index '${name}' differs: source ${spec}, destination ${other}` });
  }
  for (const [name, spec] of destinationIndexes) {
    if (!sourceIndexes.has(name)) found.push({ ns, kind: 'index', message: `index '${name}' on the destination only: ${spec}` });
  }
  return found;
}

/** Every way the destination differs from the source; empty when they are equal. */
export async function findDivergences(source: MongoClient, destination: MongoClient): Promise<Divergence[]> {
  const sourceNamespaces = await userNamespaces(source);
  const destinationNamespaces = await userNamespaces(destination);
  const found: Divergence[] = [];
  for (const ns of sourceNamespaces.keys()) {
    if (!destinationNamespaces.has(ns)) found.push({ ns, kind: 'namespace', message: 'missing on the destination' });
  }
  for (const ns of destinationNamespaces.keys()) {
    if (!sourceNamespaces.has(ns)) found.push({ ns, kind: 'namespace', message: 'on the destination only' });
  }
  for (const [ns, sourceInfo] of sourceNamespaces) {
    const destinationInfo = destinationNamespaces.get(ns);
    if (!destinationInfo) continue;
    if (sourceInfo.type !== destinationInfo.type) {
      found.push({ ns, kind: 'namespace', message: `a ${sourceInfo.type} on the source, a ${destinationInfo.type} on the destination` });
      continue;
    }
    const sourceOptions = JSON.stringify(sortedKeys(sourceInfo.options ?? {}));
    const destinationOptions = JSON.stringify(sortedKeys(destinationInfo.options ?? {}));
    if (sourceOptions !== destinationOptions) {
      found.push({ ns, kind: 'options', message: `collection options: source ${sourceOptions}, destination ${destinationOptions}` });
    }
    if (sourceInfo.type === 'view') continue;
    found.push(...(await indexDivergences(source, destination, ns)));
    found.push(...(await documentDivergences(source, destination, ns)));
  }
  return found;
}

export function formatDivergence(d: Divergence): string {
  return `${d.ns}${d.id ? ` _id ${d.id}` : ''}: ${d.message}`;
}

/**
 * Proves the comparison can fail: plants documents that differ only in field order, in a
 * numeric type, and by presence, and a missing index, on two otherwise empty clusters, and
 * throws unless each is reported. Leaves both clusters as it found them.
 */
export async function checkComparisonDetects(source: MongoClient, destination: MongoClient): Promise<void> {
  const db = 'cv_comparison_check';
  const { Int32, Long } = BSON;
  try {
    await source.db(db).collection('c').insertMany([
      { _id: 1, a: 1, b: 2 },
      { _id: 2, n: new Int32(5) },
      { _id: 3 },
    ] as Document[]);
    await source.db(db).collection('c').createIndex({ a: 1 }, { name: 'a_1' });
    await destination.db(db).collection('c').insertMany([
      { _id: 1, b: 2, a: 1 },
      { _id: 2, n: Long.fromNumber(5) },
    ] as Document[]);
    const found = (await findDivergences(source, destination)).map(formatDivergence);
    const expected = [
      `_id {"$numberInt":"1"}: (top level): field #2 is 'a' on the source, 'b' on the destination`,
      `_id {"$numberInt":"2"}: n: source {"$numberInt":"5"}, destination {"$numberLong":"5"}`,
      `_id {"$numberInt":"3"}: missing on the destination`,
      `index 'a_1' missing on the destination`,
    ];
    const unreported = expected.filter((text) => !found.some((line) => line.includes(text)));
    if (unreported.length) throw new Error(`the comparison missed planted differences ${unreported.join(', ')}; it reported: ${found.join(' | ')}`);
  } finally {
    await source.db(db).dropDatabase();
    await destination.db(db).dropDatabase();
  }
}
