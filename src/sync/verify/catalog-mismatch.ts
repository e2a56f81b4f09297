// How a catalog difference found by the sync's commit check is recorded and shown: a key that
// tells the differences of one namespace apart (its record in the verifier's store), and the
// bounded form the workflow state, /progress and the error description carry. Pure.
import type { VerificationMismatch } from '../verification';
import type { CatalogMismatch } from './catalog-diff';

/** Longest description of a catalog difference carried by the workflow (a validator can be large). */
export const MAX_CATALOG_DETAIL_CHARS = 300;

/** What in the namespace differs: the namespace itself, an option, an index or an index's option. */
export function catalogMismatchKey(m: Pick<CatalogMismatch, 'kind' | 'index' | 'option'>): string {
  if (m.index !== undefined) return m.option !== undefined ? `index ${m.index} option ${m.option}` : `index ${m.index}`;
  if (m.option !== undefined) return `option ${m.option}`;
  return m.kind;
}

function truncated(text: string): string {
  return text.length <= MAX_CATALOG_DETAIL_CHARS ? text : `${text.slice(0, MAX_CATALOG_DETAIL_CHARS - 1)}…`;
}

/** The mismatch as the workflow shows it: namespace, kind, and the message without the namespace, bounded. */
export function catalogVerificationMismatch(m: Pick<CatalogMismatch, 'db' | 'coll' | 'kind' | 'message'>): VerificationMismatch {
  const ns = `${m.db}.${m.coll}`;
  const detail = m.message.startsWith(`${ns}: `) ? m.message.slice(ns.length + 2) : m.message;
  return { ns, id: null, kind: m.kind, detail: truncated(detail) };
}
