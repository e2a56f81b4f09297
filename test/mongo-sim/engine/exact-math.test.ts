// The math expression operators compute as the server does: exactly for int32/int64 with the
// server's result types, with decimal arithmetic for decimal128, with doubles only for doubles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal128, Double, Int32, Long, type Document } from 'bson';
import { firstBatch, testEngine, assertCommandError } from './test-support';

const W = Long.fromString('9007199254740993');
const dec = (s: string): Decimal128 => Decimal128.fromString(s);

async function project(fields: Document, doc: Document = {}): Promise<Document> {
  const t = testEngine();
  try {
    await t.run({ insert: 'c', documents: [{ _id: 1, ...doc }] });
    // one pipeline per field: a run remembers one typed value per JS number it handed to mingo
    const out: Document = {};
    for (const [name, expr] of Object.entries(fields)) {
      const [r] = firstBatch(await t.run({ aggregate: 'c', pipeline: [{ $project: { _id: 0, [name]: expr } }], cursor: {} }));
      out[name] = r[name];
    }
    return out;
  } finally {
    t.close();
  }
}

function decimalText(v: unknown): string {
  assert.ok(v instanceof Decimal128, `expected a Decimal128, got ${String(v)}`);
  return v.toString();
}

test('$mod: exact on int64 beyond 2^53, decimal remainder for decimals, the server result types', async () => {
  const r = await project(
    {
      big: { $mod: ['$w', new Int32(10)] },
      ints: { $mod: [new Int32(7), new Int32(3)] },
      negative: { $mod: [new Int32(-7), new Int32(3)] },
      intByIntegralDouble: { $mod: [new Int32(7), new Double(2)] },
      dbl: { $mod: [new Double(7.5), new Int32(2)] },
      decimal: { $mod: [dec('7.50'), new Int32(2)] },
      bigDecimal: { $mod: [dec('9007199254740993'), new Int32(2)] },
    },
    { w: W },
  );
  assert.deepEqual(r.big, Long.fromNumber(3));
  assert.deepEqual(r.ints, new Int32(1));
  assert.deepEqual(r.negative, new Int32(-1));
  assert.deepEqual(r.intByIntegralDouble, new Int32(1));
  assert.deepEqual(r.dbl, new Double(1.5));
  assert.equal(decimalText(r.decimal), '1.50');
  assert.equal(decimalText(r.bigDecimal), '1');
  const t = testEngine();
  try {
    await t.run({ insert: 'c', documents: [{ _id: 1 }] });
    await assertCommandError(t.run({ aggregate: 'c', pipeline: [{ $project: { m: { $mod: [new Int32(1), new Int32(0)] } } }], cursor: {} }), 16610);
  } finally {
    t.close();
  }
});

test('$round/$trunc/$ceil/$floor keep the input type: decimals quantized exactly, ints unchanged or rounded to a place', async () => {
  const r = await project({
    roundDecimal: { $round: [dec('2.675'), new Int32(2)] },
    roundHalfEven: { $round: [dec('2.5'), new Int32(0)] },
    roundBigDecimal: { $round: [dec('1.00000000000000000000000001'), new Int32(25)] },
    truncDecimal: { $trunc: dec('-7.9') },
    roundDouble: { $round: [new Double(2.675), new Int32(2)] },
    roundLong: { $round: ['$w', new Int32(-1)] },
    roundIntToLong: { $round: [new Int32(2147483647), new Int32(-1)] },
    roundIntPlace: { $round: [new Int32(17), new Int32(2)] },
    ceilDecimal: { $ceil: dec('1.01') },
    floorDecimal: { $floor: dec('-1.01') },
    ceilLong: { $ceil: '$w' },
    floorDouble: { $floor: new Double(2.5) },
    ceilInt: { $ceil: new Int32(3) },
  }, { w: W });
  assert.equal(decimalText(r.roundDecimal), '2.68');
  assert.equal(decimalText(r.roundHalfEven), '2');
  assert.equal(decimalText(r.roundBigDecimal), '1.0000000000000000000000000');
  assert.equal(decimalText(r.truncDecimal), '-7');
  // the double 2.675 is 2.67499999999999982...: it rounds down, as the server's decimal path does
  assert.deepEqual(r.roundDouble, new Double(2.67));
  assert.deepEqual(r.roundLong, Long.fromString('9007199254740990'));
  assert.deepEqual(r.roundIntToLong, Long.fromNumber(2147483650));
  assert.deepEqual(r.roundIntPlace, new Int32(17));
  assert.equal(decimalText(r.ceilDecimal), '2');
  assert.equal(decimalText(r.floorDecimal), '-2');
  assert.deepEqual(r.ceilLong, W);
  assert.deepEqual(r.floorDouble, new Double(2));
  assert.deepEqual(r.ceilInt, new Int32(3));
});

test('$pow: ints stay exact and widen to long, then double; decimals give decimals', async () => {
  const r = await project({
    intFits: { $pow: [new Int32(3), new Int32(4)] },
    intToLong: { $pow: [new Int32(3), new Int32(30)] },
    longExact: { $pow: [Long.fromNumber(3), new Int32(39)] },
    longOverflow: { $pow: [Long.fromNumber(3), new Int32(40)] },
    negative: { $pow: [new Int32(2), new Int32(-1)] },
    minusOne: { $pow: [new Int32(-1), new Int32(-3)] },
    dbl: { $pow: [new Double(2), new Int32(3)] },
    decimal: { $pow: [dec('1.1'), new Int32(2)] },
    decimalRoot: { $pow: [dec('2'), dec('0.5')] },
  });
  assert.deepEqual(r.intFits, new Int32(81));
  assert.deepEqual(r.intToLong, Long.fromString('205891132094649'));
  assert.deepEqual(r.longExact, Long.fromString('4052555153018976267'));
  assert.ok(r.longOverflow instanceof Double);
  assert.deepEqual(r.negative, new Double(0.5));
  assert.deepEqual(r.minusOne, new Int32(-1));
  assert.deepEqual(r.dbl, new Double(8));
  assert.equal(decimalText(r.decimal), '1.21');
  assert.equal(decimalText(r.decimalRoot), '1.414213562373095048801688724209698');
});

test('$sqrt, $exp, $ln, $log10, $log and $abs: decimals computed in decimal to 34 digits, the rest in doubles', async () => {
  const r = await project({
    sqrtDecimal: { $sqrt: dec('2') },
    sqrtExact: { $sqrt: dec('1.44') },
    sqrtInt: { $sqrt: new Int32(4) },
    expDecimal: { $exp: dec('1') },
    lnDecimal: { $ln: dec('10') },
    log10Decimal: { $log10: dec('1000') },
    log10Inexact: { $log10: dec('2') },
    logDecimal: { $log: [dec('8'), new Int32(2)] },
    log10Long: { $log10: Long.fromNumber(1000) },
    absLong: { $abs: Long.fromNumber(-5) },
    absIntMin: { $abs: new Int32(-2147483648) },
    absDecimal: { $abs: dec('-1.00000000000000000000000001') },
  });
  assert.equal(decimalText(r.sqrtDecimal), '1.414213562373095048801688724209698');
  assert.equal(decimalText(r.sqrtExact), '1.2');
  assert.deepEqual(r.sqrtInt, new Double(2));
  assert.equal(decimalText(r.expDecimal), '2.718281828459045235360287471352662');
  assert.equal(decimalText(r.lnDecimal), '2.302585092994045684017991454684364');
  assert.equal(decimalText(r.log10Decimal), '3');
  assert.equal(decimalText(r.log10Inexact), '0.3010299956639811952137388947244930');
  assert.equal(decimalText(r.logDecimal).slice(0, 20), '3.000000000000000000');
  assert.deepEqual(r.log10Long, new Double(3));
  assert.deepEqual(r.absLong, Long.fromNumber(5));
  assert.deepEqual(r.absIntMin, Long.fromNumber(2147483648));
  assert.equal(decimalText(r.absDecimal), '1.00000000000000000000000001');
});
