import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkRegexOptions, toJsRegExp, translatePcreRegex } from '../../../src/sync/pcre-regex';

function compile(pattern: string, options = ''): RegExp {
  const result = translatePcreRegex(pattern, options);
  if (!result.ok) throw new Error(`unexpected error: ${result.error}`);
  return toJsRegExp(result.regex);
}

function rejects(pattern: string, options = '', fragment?: RegExp): void {
  const result = translatePcreRegex(pattern, options);
  assert.equal(result.ok, false, `expected '${pattern}' to be rejected`);
  if (fragment && !result.ok) assert.match(result.error, fragment);
}

describe('regex options', () => {
  it('accepts i, m, s, x in any order and repeated', () => {
    for (const options of ['', 'i', 'ms', 'xsmi', 'ii']) assert.equal(checkRegexOptions(options), null);
  });

  it('refuses any other flag, naming it', () => {
    assert.match(checkRegexOptions('ig') ?? '', /'g'/);
    assert.match(checkRegexOptions('u') ?? '', /'u'/);
    rejects('abc', 'g', /'g'/);
  });

  it('keeps only the i flag', () => {
    const result = translatePcreRegex('a.b', 'imsx');
    assert.ok(result.ok);
    assert.equal(result.regex.ignoreCase, true);
    assert.equal(toJsRegExp(result.regex).flags, 'i');
  });
});

describe('PCRE semantics', () => {
  it('matches anywhere in the name, like $regex', () => {
    assert.ok(compile('acc').test('my_accounts'));
    assert.ok(!compile('^acc').test('my_accounts'));
  });

  it('i makes matching case-insensitive', () => {
    assert.ok(compile('^ACCOUNTS_', 'i').test('accounts_eu'));
    assert.ok(!compile('^ACCOUNTS_').test('accounts_eu'));
  });

  it('. excludes only \\n without s, and matches everything with s', () => {
    assert.ok(compile('^a.b$').test('a\rb'));
    assert.ok(!compile('^a.b$').test('a\nb'));
    assert.ok(compile('^a.b$', 's').test('a\nb'));
  });

  it('$ without m also matches before a final newline; \\z does not', () => {
    assert.ok(compile('abc$').test('abc\n'));
    assert.ok(!compile('abc$').test('abc\nx'));
    assert.ok(!compile('abc\\z').test('abc\n'));
    assert.ok(compile('abc\\Z').test('abc\n'));
  });

  it('m makes ^ and $ match at \\n line boundaries only', () => {
    assert.ok(compile('^b$', 'm').test('a\nb\nc'));
    assert.ok(!compile('^b$').test('a\nb\nc'));
    assert.ok(!compile('^b', 'm').test('a\rb'));
  });

  it('\\A anchors at the start even with m', () => {
    assert.ok(!compile('\\Ab', 'm').test('a\nb'));
    assert.ok(compile('\\Aa', 'm').test('a\nb'));
  });

  it('x drops whitespace and comments outside classes, keeps them inside', () => {
    const re = compile(' ^ acc  # a comment\n ounts [ ]x \\  y', 'x');
    assert.ok(re.test('accounts x y'));
    assert.ok(!re.test('accountsx y'));
    assert.ok(!re.test('accounts xy'));
    assert.ok(compile('a[#]b', 'x').test('a#b'));
  });

  it('\\Q...\\E quotes metacharacters', () => {
    const re = compile('^\\Qa.b*c\\E$');
    assert.ok(re.test('a.b*c'));
    assert.ok(!re.test('axbbc'));
  });

  it('a ] right after [ or [^ is a literal', () => {
    assert.ok(compile('^[]a]$').test(']'));
    assert.ok(compile('^[^]a]$').test('b'));
    assert.ok(!compile('^[^]a]$').test(']'));
  });

  it('translates POSIX classes', () => {
    assert.ok(compile('^[[:alpha:]_]+$').test('abc_DEF'));
    assert.ok(!compile('^[[:alpha:]]+$').test('ab1'));
    assert.ok(compile('^[[:digit:][:upper:]]+$').test('A1B2'));
  });

  it('accepts a leading inline option group', () => {
    assert.ok(compile('(?i)^abc').test('ABC'));
    const spaced = compile('(?x) a b c');
    assert.ok(spaced.test('abc'));
  });

  it('handles named groups in both syntaxes', () => {
    assert.ok(compile('^(?P<x>a)(?P=x)$').test('aa'));
    assert.ok(compile("^(?'x'a)\\k<x>$").test('aa'));
  });

  it('handles hex, octal and control escapes', () => {
    assert.ok(compile('^\\x41\\x{42}\\0101$').test('AB\x081'));
    rejects('\\101', '', /above \\9/);
    assert.ok(compile('^a\\eb$').test('a\x1bb'));
  });

  it('rejects constructs with no faithful JS equivalent', () => {
    rejects('(?>a)', '', /group/);
    rejects('a*+', '', /possessive/);
    rejects('a{2}+', '', /possessive/);
    rejects('a(?i)b', '', /inline option/);
    rejects('\\p{L}', '', /\\p/);
    rejects('\\G', '', /\\G/);
    rejects('(*UTF)a', '', /verbs/);
    rejects('[[:^alpha:]]', '', /negated/);
    rejects('[[:nope:]]', '', /POSIX/);
    rejects('(?P<1x>a)', '', /group name/);
    rejects('(?R)', '', /group syntax/);
  });

  it('rejects patterns that do not compile, with the reason', () => {
    rejects('(abc', '', /invalid regex/);
    rejects('[abc', '', /terminating/);
    rejects('abc\\', '', /backslash/);
    rejects('a\0b', '', /null/);
  });

  it('rejects what PCRE refuses to compile but JS would read some other way', () => {
    // JS takes these as octal or literal escapes; PCRE: "reference to non-existent subpattern"
    rejects('\\2', '', /non-existent subpattern \\2/);
    rejects('(a)\\2', '', /non-existent subpattern/);
    rejects('(?:a)\\1', '', /non-existent subpattern/);
    rejects('\\(a\\)\\1', '', /non-existent subpattern/);
    rejects('\\k<zz>', '', /non-existent subpattern 'zz'/);
    rejects('(?P<n>a)(?P=m)', '', /non-existent subpattern 'm'/);
    assert.ok(compile('^((a))\\2$').test('aa'));
    assert.ok(compile('^(?<n>a)\\k<n>$').test('aa'));
    // JS allows any lookbehind; PCRE only fixed-length ones (branches may differ at the top level)
    rejects('(?<=a+)b', '', /lookbehind assertion is not fixed length/);
    rejects('(?<!a*)b', '', /not fixed length/);
    rejects('(?<=a{1,2})b', '', /not fixed length/);
    rejects('(?<=a(b|cd))e', '', /not fixed length/);
    rejects('(a)(?<=\\1)b', '', /not fixed length/);
    assert.ok(compile('(?<=a|bc)d').test('bcd'));
    assert.ok(compile('(?<=a{2})b').test('aab'));
    assert.ok(compile('(?<=x)a*').test('xaa'));
    // PCRE's repeat counts stop at 65535
    rejects('a{65536}', '', /number too big in \{\} quantifier/);
    rejects('a{1,99999999999}', '', /number too big/);
    assert.ok(compile('^a{0,65535}$').test('aaa'));
  });

  it('rejects nested repeats, which can take exponential time in JS (PCRE stops at its match limit)', () => {
    for (const pattern of ['(a+)+$', '(a*)*', '(?:a|b+)*c', '((a+))*', '(a+){2,}', '(a+){3}', '(a{1,3})*', '(\\w+\\s?)*$']) rejects(pattern, '', /nested repeats/);
    rejects('(a+) +', 'x', /nested repeats/);
    for (const pattern of ['(a+)?', '(a|b)*', '(?:ab)+', '(a{2})*', '(a+)x*', '^(?:sales|crm)_[0-9]+$']) assert.ok(compile(pattern), pattern);
    // a repeated alternation without nested repeats stays linear
    const started = Date.now();
    assert.ok(!compile('^(?:a|b)*$').test(`${'a'.repeat(200)}!`));
    assert.ok(Date.now() - started < 1000);
  });

  it('a literal { that is not a quantifier stays literal', () => {
    assert.ok(compile('^a{b}$').test('a{b}'));
    assert.ok(compile('^a{2}$').test('aa'));
  });

  it('x mode: inserting whitespace between literal characters changes nothing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', '_', '0'), { minLength: 1, maxLength: 8 }),
        fc.array(fc.constantFrom('', ' ', '\t', '\n', '  '), { minLength: 8, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', '_', '0', ' '), maxLength: 12 }),
        (chars, spaces, subject) => {
          const plain = compile(`^${chars.join('')}`);
          const spaced = compile(`^${chars.map((c, i) => spaces[i] + c).join('')}`, 'x');
          assert.equal(spaced.test(subject), plain.test(subject));
        },
      ),
    );
  });

  it('the translation of an escaped literal matches exactly that character', () => {
    fc.assert(
      fc.property(fc.constantFrom(...'.*+?()[]{}|^$\\/-#'.split('')), (ch) => {
        assert.ok(compile(`^\\${ch}$`).test(ch));
        assert.ok(compile(`^\\Q${ch}\\E$`).test(ch));
      }),
    );
  });
});
