// The order of strings under a collection's default collation, through the ICU that Node ships
// (Intl.Collator). Node's ICU and the server's may differ on rare strings; the range merge
// checks that each side's cursor comes back strictly increasing under this order and fails
// loudly when it does not, so a disagreement can never turn into a false verdict.
import type { StringOrder } from './bson-order';

export interface CollationSpec {
  locale: string;
  strength?: number;
  caseLevel?: boolean;
  caseFirst?: string;
  numericOrdering?: boolean;
  alternate?: string;
  [option: string]: unknown;
}

export function isSimpleCollation(spec: CollationSpec | null | undefined): boolean {
  return spec == null || spec.locale === 'simple';
}

function intlLocale(locale: string): string {
  if (locale === 'root' || locale === '') return 'und';
  return locale.replace(/@.*$/, '').replace(/_/g, '-');
}

function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The string order of a collation; undefined for the simple collation (byte order). */
export function stringOrderFor(spec: CollationSpec | null | undefined): StringOrder | undefined {
  if (isSimpleCollation(spec)) return undefined;
  const collation = spec!;
  const strength = Number(collation.strength ?? 3);
  const caseLevel = collation.caseLevel === true;
  const sensitivity: Intl.CollatorOptions['sensitivity'] =
    strength === 1 ? (caseLevel ? 'case' : 'base') : strength === 2 ? (caseLevel ? 'variant' : 'accent') : 'variant';
  const collator = new Intl.Collator(intlLocale(collation.locale), {
    usage: 'sort',
    sensitivity,
    caseFirst: collation.caseFirst === 'upper' ? 'upper' : collation.caseFirst === 'lower' ? 'lower' : 'false',
    numeric: collation.numericOrdering === true,
    ignorePunctuation: collation.alternate === 'shifted',
  });
  if (strength === 5) return (a, b) => collator.compare(a, b) || byCodePoint(a, b);
  return (a, b) => collator.compare(a, b);
}

/** Whether two collection collations are the same (absent and 'simple' are one). */
export function sameCollation(a: CollationSpec | null | undefined, b: CollationSpec | null | undefined): boolean {
  if (isSimpleCollation(a) || isSimpleCollation(b)) return isSimpleCollation(a) && isSimpleCollation(b);
  const canonical = (spec: CollationSpec) => JSON.stringify(Object.entries(spec).filter(([key]) => key !== 'version').sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return canonical(a!) === canonical(b!);
}
