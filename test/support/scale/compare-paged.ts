// compareClusters (../compare-clusters.ts) for data of any size: the same checks (namespaces,
// options, indexes, documents byte for byte in _id order), but one database's collection list
// at a time and documents streamed from both sides in lockstep, so memory holds two cursor
// batches, never a collection. Stops collecting after `maxDifferences`.
import { BSON, type Document, type MongoClient } from 'mongodb';
import { normalizeIndex, sortedKeys } from '../compare-clusters';

const SYSTEM_DATABASES = new Set(['admin', 'config', 'local']);

export interface PagedCompareResult {
  differences: string[];
  namespaces: number;
  documents: number;
}

async function userDatabases(client: MongoClient): Promise<string[]> {
  const { databases } = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
  return (databases as { name: string }[]).map((d) => d.name).filter((name) => !SYSTEM_DATABASES.has(name) && !name.startsWith('__'));
}

async function collectionsOf(client: MongoClient, db: string): Promise<Map<string, Document>> {
  const result = new Map<string, Document>();
  for await (const info of client.db(db).listCollections({}, { batchSize: 1000 })) {
    if (!info.name.startsWith('system.')) result.set(info.name, info);
  }
  return result;
}

const show = (raw: Buffer): string => BSON.EJSON.stringify(BSON.deserialize(raw, { promoteValues: false }), { relaxed: false }).slice(0, 500);

async function compareDocuments(source: MongoClient, destination: MongoClient, db: string, coll: string): Promise<{ difference: string | null; documents: number }> {
  const open = (client: MongoClient) =>
    client
      .db(db)
      .collection(coll)
      .find({}, { sort: { _id: 1 }, raw: true, batchSize: 1000 })
      [Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const left = open(source);
  const right = open(destination);
  let n = 0;
  try {
    for (;; n++) {
      const [a, b] = await Promise.all([left.next(), right.next()]);
      if (a.done && b.done) return { difference: null, documents: n };
      if (a.done) return { difference: `${db}.${coll}: destination has more documents, from #${n} (in _id order): ${show(b.value)}`, documents: n };
      if (b.done) return { difference: `${db}.${coll}: destination lacks documents, from #${n} (in _id order): ${show(a.value)}`, documents: n };
      if (!a.value.equals(b.value)) {
        return { difference: `${db}.${coll}: document #${n} (in _id order) differs:\n  source      ${show(a.value)}\n  destination ${show(b.value)}`, documents: n };
      }
    }
  } finally {
    await Promise.all([left.return?.(), right.return?.()]);
  }
}

export async function compareClustersPaged(source: MongoClient, destination: MongoClient, maxDifferences = 20): Promise<PagedCompareResult> {
  const result: PagedCompareResult = { differences: [], namespaces: 0, documents: 0 };
  const add = (line: string) => {
    if (result.differences.length < maxDifferences) result.differences.push(line);
  };
  const sourceDbs = await userDatabases(source);
  const destinationDbs = new Set(await userDatabases(destination));
  for (const db of destinationDbs) if (!sourceDbs.includes(db)) add(`unexpected database on destination: ${db}`);
  for (const db of sourceDbs) {
    const sourceColls = await collectionsOf(source, db);
    const destinationColls = destinationDbs.has(db) ? await collectionsOf(destination, db) : new Map<string, Document>();
    for (const name of destinationColls.keys()) if (!sourceColls.has(name)) add(`unexpected on destination: ${db}.${name}`);
    for (const [name, sourceInfo] of sourceColls) {
      result.namespaces++;
      const destinationInfo = destinationColls.get(name);
      if (!destinationInfo) {
        add(`missing on destination: ${db}.${name}`);
        continue;
      }
      if (sourceInfo.type !== destinationInfo.type) {
        add(`${db}.${name}: type ${sourceInfo.type} vs ${destinationInfo.type}`);
        continue;
      }
      const options = (info: Document) => JSON.stringify(sortedKeys(info.options ?? {}));
      if (options(sourceInfo) !== options(destinationInfo)) add(`${db}.${name}: options ${options(sourceInfo)} vs ${options(destinationInfo)}`);
      if (sourceInfo.type === 'view') continue;
      const indexes = async (client: MongoClient) =>
        JSON.stringify((await client.db(db).collection(name).listIndexes().toArray()).map(normalizeIndex).sort((a, b) => String(a.name).localeCompare(String(b.name))));
      const [sourceIndexes, destinationIndexes] = await Promise.all([indexes(source), indexes(destination)]);
      if (sourceIndexes !== destinationIndexes) add(`${db}.${name}: indexes ${sourceIndexes} vs ${destinationIndexes}`);
      const { difference, documents } = await compareDocuments(source, destination, db, name);
      result.documents += documents;
      if (difference) add(difference);
    }
  }
  return result;
}
