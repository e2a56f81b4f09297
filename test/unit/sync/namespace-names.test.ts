// Database and collection names checked against the server's rules, written out again here
// (in bytes of UTF-8, the way the server counts) as an oracle for random names.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  collectionNameProblem,
  databaseNameProblem,
  hasUnpairedSurrogate,
  namespaceNameProblem,
  systemDatabaseDifferingInCase,
} from '../../../src/sync/namespace-names';

const FORBIDDEN_IN_DATABASE = ['/', '\\', '.', ' ', '"', '$', '*', '<', '>', ':', '|', '?', '\0'];

/** Well-formed UTF-16 (has a UTF-8 form): encodeURIComponent refuses lone surrogates. */
function wellFormed(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

function serverAcceptsDatabase(db: string): boolean {
  const bytes = Buffer.byteLength(db, 'utf8');
  return wellFormed(db) && bytes > 0 && bytes < 64 && !FORBIDDEN_IN_DATABASE.some((char) => db.includes(char));
}

function serverAcceptsNamespace(db: string, coll: string): boolean {
  return (
    serverAcceptsDatabase(db) &&
    wellFormed(coll) &&
    coll.length > 0 &&
    !coll.startsWith('.') &&
    !coll.includes('\0') &&
    !coll.includes('$') &&
    Buffer.byteLength(`${db}.${coll}`, 'utf8') <= 255
  );
}

/** Names mixing ordinary letters, forbidden characters, multi-byte and astral characters, lone surrogates. */
const nameCharacter = fc.oneof(
  fc.constantFrom('a', 'b', 'Z', '0', '_', '-'),
  fc.constantFrom(...FORBIDDEN_IN_DATABASE),
  fc.constantFrom('é', '€', '中', '😀', '\u{10FFFF}'),
  fc.constantFrom('\ud800', '\udfff'),
);
const name = (maxLength: number) => fc.array(nameCharacter, { minLength: 0, maxLength }).map((chars) => chars.join(''));

describe('namespace names', () => {
  it('a database name is valid exactly when the server would accept it', () => {
    fc.assert(
      fc.property(fc.oneof(name(10), name(70)), (db) => {
        assert.equal(databaseNameProblem(db) === null, serverAcceptsDatabase(db), `database ${JSON.stringify(db)}: ${databaseNameProblem(db)}`);
      }),
      { numRuns: 3000 },
    );
  });

  it('a namespace is valid exactly when the server would accept it', () => {
    fc.assert(
      fc.property(fc.oneof(name(10), name(70)), fc.oneof(name(10), name(300), fc.integer({ min: 180, max: 260 }).map((n) => 'c'.repeat(n))), (db, coll) => {
        assert.equal(namespaceNameProblem(db, coll) === null, serverAcceptsNamespace(db, coll), `${JSON.stringify(db)}.${JSON.stringify(coll)}: ${namespaceNameProblem(db, coll)}`);
        if (collectionNameProblem(coll) !== null) assert.notEqual(namespaceNameProblem(db, coll), null);
      }),
      { numRuns: 3000 },
    );
  });

  it('names the problem in words', () => {
    assert.match(databaseNameProblem('a b')!, /must not contain a space/);
    assert.match(databaseNameProblem('a\0b')!, /NUL/);
    assert.match(databaseNameProblem('😀'.repeat(16))!, /shorter than 64 bytes \(it has 64 in UTF-8\)/);
    assert.equal(databaseNameProblem('😀'.repeat(15) + 'abc'), null);
    assert.match(collectionNameProblem('')!, /empty/);
    assert.match(collectionNameProblem('\udc00x')!, /unpaired surrogate/);
  });

  it('finds unpaired surrogates and only those', () => {
    assert.equal(hasUnpairedSurrogate('😀'), false);
    assert.equal(hasUnpairedSurrogate('a\ud83d'), true);
    assert.equal(hasUnpairedSurrogate('\ude00a'), true);
    assert.equal(hasUnpairedSurrogate('\ud83d\ud83d\ude00'), true);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => assert.equal(hasUnpairedSurrogate(text), !wellFormed(text))), { numRuns: 2000 });
  });

  it('the system databases have no case twins a user could create', () => {
    assert.equal(systemDatabaseDifferingInCase('Admin'), 'admin');
    assert.equal(systemDatabaseDifferingInCase('CONFIG'), 'config');
    assert.equal(systemDatabaseDifferingInCase('admin'), null);
    assert.equal(systemDatabaseDifferingInCase('administrators'), null);
  });
});
