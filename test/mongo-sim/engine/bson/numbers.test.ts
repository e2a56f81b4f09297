// Numbers compare as the server compares them: by exact value across int32, int64, double and
// decimal128. Checked against an independent reference (bigint rationals), with a printed seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal128, Double, Int32, Long } from 'bson';
import { compareValues } from './compare';
import { canonicalKey, compoundKey } from './keys';

/** A rational p/q (q > 0), or a special value. */
type Ref = { kind: 'nan' } | { kind: 'inf'; sign: 1 | -1 } | { kind: 'q'; p: bigint; q: bigint };

function refOfDouble(x: number): Ref {
  if (Number.isNaN(x)) return { kind: 'nan' };
  if (!Number.isFinite(x)) return { kind: 'inf', sign: x > 0 ? 1 : -1 };
  // doubling a finite double is exact, so this finds x = n / 2^k
  let k = 0n;
  while (!Number.isInteger(x)) {
    x *= 2;
    k++;
  }
  return { kind: 'q', p: BigInt(x), q: 2n ** k };
}

function refOfDecimal(d: Decimal128): Ref {
  const s = d.toString();
  if (s.endsWith('NaN')) return { kind: 'nan' };
  if (s.endsWith('Infinity')) return { kind: 'inf', sign: s.startsWith('-') ? -1 : 1 };
  const [mant, expText] = s.split('E');
  const exp = Number(expText ?? '0');
  const negative = mant.startsWith('-');
  const [whole, frac = ''] = mant.replace('-', '').split('.');
  let p = BigInt(whole + frac) * (negative ? -1n : 1n);
  let q = 10n ** BigInt(frac.length);
  if (exp >= 0) p *= 10n ** BigInt(exp);
  else q *= 10n ** BigInt(-exp);
  return { kind: 'q', p, q };
}

function refOf(v: unknown): Ref {
  if (v instanceof Int32 || v instanceof Double) return refOfDouble(v.value);
  if (typeof v === 'number') return refOfDouble(v);
  if (v instanceof Long) return { kind: 'q', p: v.toBigInt(), q: 1n };
  return refOfDecimal(v as Decimal128);
}

function rank(r: Ref): number {
  return r.kind === 'nan' ? 0 : r.kind === 'inf' ? (r.sign < 0 ? 1 : 3) : 2;
}

function compareRef(a: Ref, b: Ref): number {
  if (rank(a) !== rank(b)) return Math.sign(rank(a) - rank(b));
  if (a.kind !== 'q' || b.kind !== 'q') return 0;
  const d = a.p * b.q - b.p * a.q;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** mulberry32: a small seeded generator so that a failure can be replayed. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(rnd: () => number, pool: unknown[]): unknown {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const small = Math.floor(rnd() * 21) - 10;
  const big = BigInt(Math.floor(rnd() * 2 ** 31)) * BigInt(Math.floor(rnd() * 2 ** 32)) * (rnd() < 0.5 ? -1n : 1n);
  switch (Math.floor(rnd() * 9)) {
    case 0:
      return new Int32(small);
    case 1:
      return Long.fromBigInt(pick([big, BigInt(small), 2n ** 53n + BigInt(small), -(2n ** 63n), 2n ** 63n - 1n]));
    case 2:
      return new Double(pick([small, small / 4, Number(big), 0.1, 1 / 3, -0, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 63, 5e-324, 1e308]));
    case 3:
      return Decimal128.fromString(
        pick([
          String(small),
          `${big}`,
          `${big}E-${Math.floor(rnd() * 40)}`,
          `${small}.${'0'.repeat(Math.floor(rnd() * 30))}1`,
          '0.1',
          '0.1000000000000000055511151231257827',
          '0.00',
          '-0',
          '1E+6144',
          '9007199254740993',
          'NaN',
          'Infinity',
          '-Infinity',
          '1.00000000000000000000000000',
          '1.00000000000000000000000001',
        ]),
      );
    default:
      // reuse a value already drawn, in another type where one holds it exactly, so that ties occur
      return pool.length ? pick(pool) : new Int32(small);
  }
}

test('numbers: order and index keys agree with exact rational comparison (seeded)', () => {
  const seed = Number(process.env.NUMBERS_SEED ?? Date.now() % 2 ** 31);
  console.log(`numbers property test seed: ${seed} (NUMBERS_SEED=${seed} replays it)`);
  const rnd = generator(seed);
  const pool: unknown[] = [];
  for (let i = 0; i < 4000; i++) {
    const a = randomValue(rnd, pool);
    const b = randomValue(rnd, pool);
    pool.push(a, b);
    const expected = compareRef(refOf(a), refOf(b));
    const label = `seed ${seed}: ${String(a)} (${(a as { _bsontype: string })._bsontype}) vs ${String(b)} (${(b as { _bsontype: string })._bsontype})`;
    assert.equal(compareValues(a, b), expected, label);
    assert.equal(compareValues(b, a), expected === 0 ? 0 : -expected, label);
    assert.equal(canonicalKey(a) === canonicalKey(b), expected === 0, label);
    assert.equal(compoundKey([a, 'x']) === compoundKey([b, 'x']), expected === 0, label);
  }
});

test('numbers: decimals that differ beyond double precision are different values', () => {
  const a = Decimal128.fromString('1.00000000000000000000000000');
  const b = Decimal128.fromString('1.00000000000000000000000001');
  assert.equal(compareValues(a, b), -1);
  assert.notEqual(canonicalKey(a), canonicalKey(b));
  assert.equal(canonicalKey(a), canonicalKey(new Int32(1)));
  assert.equal(canonicalKey(a), canonicalKey(Decimal128.fromString('1E0')));
});

test('numbers: int64 beyond 2^53, double vs decimal, NaN, -0 and infinities', () => {
  assert.equal(compareValues(Long.fromBigInt(2n ** 53n + 1n), new Double(2 ** 53)), 1);
  assert.notEqual(canonicalKey(Long.fromBigInt(2n ** 53n + 1n)), canonicalKey(new Double(2 ** 53)));
  assert.equal(canonicalKey(Long.fromBigInt(2n ** 53n)), canonicalKey(new Double(2 ** 53)));
  // the double nearest 0.1 is slightly above one tenth
  assert.equal(compareValues(new Double(0.1), Decimal128.fromString('0.1')), 1);
  assert.notEqual(canonicalKey(new Double(0.1)), canonicalKey(Decimal128.fromString('0.1')));
  assert.equal(compareValues(new Double(0.5), Decimal128.fromString('0.50')), 0);
  assert.equal(canonicalKey(new Double(0.5)), canonicalKey(Decimal128.fromString('0.50')));
  assert.equal(compareValues(new Double(NaN), Decimal128.fromString('NaN')), 0);
  assert.equal(canonicalKey(new Double(NaN)), canonicalKey(Decimal128.fromString('-NaN')));
  assert.equal(compareValues(new Double(NaN), new Double(-Infinity)), -1);
  assert.equal(compareValues(new Double(-0), new Int32(0)), 0);
  assert.equal(canonicalKey(Decimal128.fromString('-0.000')), canonicalKey(new Double(-0)));
  assert.equal(compareValues(Decimal128.fromString('Infinity'), new Double(Infinity)), 0);
  assert.equal(compareValues(Decimal128.fromString('1E+6144'), new Double(Infinity)), -1);
  assert.equal(compareValues(Decimal128.fromString('1E+6144'), new Double(1.7976931348623157e308)), 1);
});
