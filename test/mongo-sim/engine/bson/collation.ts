// Collations as the server applies them to string comparison (matching, sorting, distinct, index
// keys), mapped onto Node's ICU through Intl.Collator. Intl exposes fewer knobs than the ICU
// collator the server configures; the mapping and its gaps are listed in test/mongo-sim/README.md.
import type { Document } from 'bson';
import { commandError, ErrorCodes } from '../errors';
import { isPlainDocument, toNumber, trueValue } from './values';

export type StringCompare = (a: string, b: string) => number;

export interface Collation {
  /** the spec as given (locale not 'simple') */
  readonly spec: Document;
  readonly compare: StringCompare;
  /** a string equal for two strings exactly when `compare` says they are equal */
  key(s: string): string;
}

const KNOWN_FIELDS = new Set([
  'locale',
  'strength',
  'caseLevel',
  'caseFirst',
  'numericOrdering',
  'alternate',
  'maxVariable',
  'normalization',
  'backwards',
  'version',
]);

/** Stable identity of a collation spec (field order and numeric types do not matter). */
export function collationId(spec: Document | undefined): string {
  if (spec === undefined || spec.locale === 'simple') return 'simple';
  const parts: string[] = [];
  for (const k of [...KNOWN_FIELDS].sort()) {
    const v: unknown = spec[k];
    if (v === undefined) continue;
    parts.push(`${k}=${typeof v === 'object' && v !== null ? String(toNumber(v) ?? JSON.stringify(v)) : String(v)}`);
  }
  return parts.join(';');
}

function invalid(message: string): Error {
  return commandError(ErrorCodes.BadValue, message);
}

/** Checks a collation document as the server does its basic fields; throws 2/40415 otherwise. */
export function validateCollation(spec: unknown): Document | undefined {
  if (spec === undefined) return undefined;
  if (!isPlainDocument(spec)) throw commandError(ErrorCodes.TypeMismatch, "BSON field 'collation' is the wrong type, expected type 'object'");
  for (const k of Object.keys(spec)) {
    if (!KNOWN_FIELDS.has(k)) throw commandError(40415, `BSON field 'collation.${k}' is an unknown field.`);
  }
  if (typeof spec.locale !== 'string') throw commandError(40414, "BSON field 'collation.locale' is missing but a required field");
  if (spec.locale === 'simple') {
    if (Object.keys(spec).length > 1) throw invalid('If "locale" is set to "simple", then no other fields may be specified');
    return spec;
  }
  if (spec.strength !== undefined) {
    const s = toNumber(spec.strength);
    if (s === undefined || !Number.isInteger(s) || s < 1 || s > 5) throw invalid('Field \'strength\' must be an integer 1 through 5');
  }
  if (spec.caseFirst !== undefined && !['upper', 'lower', 'off'].includes(spec.caseFirst as string)) {
    throw invalid("Field 'caseFirst' must be 'upper', 'lower', or 'off'");
  }
  if (spec.alternate !== undefined && !['non-ignorable', 'shifted'].includes(spec.alternate as string)) {
    throw invalid("Field 'alternate' must be 'non-ignorable' or 'shifted'");
  }
  if (spec.maxVariable !== undefined && !['punct', 'space'].includes(spec.maxVariable as string)) {
    throw invalid("Field 'maxVariable' must be 'punct' or 'space'");
  }
  let supported: string[];
  try {
    supported = Intl.Collator.supportedLocalesOf(spec.locale.replace(/@.*$/, '').replace(/_/g, '-'));
  } catch {
    supported = [];
  }
  if (supported.length === 0 && spec.locale !== 'root' && spec.locale !== '') {
    throw invalid(`Field 'locale' is invalid in: ${JSON.stringify(spec)}`);
  }
  return spec;
}

function intlOptions(spec: Document): Intl.CollatorOptions {
  const strength = toNumber(spec.strength) ?? 3;
  const caseLevel = trueValue(spec.caseLevel);
  let sensitivity: Intl.CollatorOptions['sensitivity'];
  if (strength === 1) sensitivity = caseLevel ? 'case' : 'base';
  else if (strength === 2) sensitivity = caseLevel ? 'variant' : 'accent';
  else sensitivity = 'variant';
  const caseFirst = spec.caseFirst === 'upper' ? 'upper' : spec.caseFirst === 'lower' ? 'lower' : 'false';
  return {
    usage: 'sort',
    sensitivity,
    caseFirst,
    numeric: trueValue(spec.numericOrdering),
    ignorePunctuation: spec.alternate === 'shifted',
  };
}

/** ICU locale names the server accepts ('en_US', 'root') in the form Intl takes ('en-US', 'und'). */
function intlLocale(locale: string): string {
  if (locale === 'root' || locale === '') return 'und';
  return locale.replace(/@.*$/, '').replace(/_/g, '-');
}

/** Strings equal under a collation share one representative, found by binary search. */
class CollationKeys {
  private readonly sorted: string[] = [];
  constructor(private readonly compare: StringCompare) {}

  key(s: string): string {
    const xs = this.sorted;
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compare(xs[mid], s);
      if (c === 0) return xs[mid];
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    xs.splice(lo, 0, s);
    return s;
  }
}

const cache = new Map<string, Collation>();

/** The collation of a spec, or undefined for the simple (binary) collation. */
export function collationFor(spec: Document | undefined): Collation | undefined {
  if (spec === undefined || spec.locale === 'simple') return undefined;
  const id = collationId(spec);
  const hit = cache.get(id);
  if (hit) return hit;
  const collator = new Intl.Collator(intlLocale(spec.locale as string), intlOptions(spec));
  const identical = toNumber(spec.strength) === 5;
  // strength 5 (identical) breaks ties by code point order
  const compare: StringCompare = identical
    ? (a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0)
    : (a, b) => collator.compare(a, b);
  const keys = new CollationKeys(compare);
  const collation: Collation = { spec, compare, key: (s) => keys.key(s) };
  cache.set(id, collation);
  return collation;
}

/** The collation that applies: the operation's own, else the collection's default. */
export function effectiveCollation(requested: Document | undefined, collectionDefault: Document | undefined): Collation | undefined {
  return collationFor(requested ?? collectionDefault);
}

/** True when two specs denote the same collation. */
export function sameCollation(a: Document | undefined, b: Document | undefined): boolean {
  return collationId(a) === collationId(b);
}
