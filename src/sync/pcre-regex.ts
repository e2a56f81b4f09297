// Translation of a server `$regex` (PCRE syntax plus the options i, m, s, x) into one explicit
// pattern that means the same thing in JavaScript's RegExp and in the server's PCRE.
//
// Why: namespace filters are matched locally (JS) and also sent to the server in a change
// stream $match. Both must agree, so both get the translated pattern. The translation removes
// every option except `i`:
//   - x: whitespace and #-comments outside character classes are dropped;
//   - s: `.` becomes [\s\S], otherwise [^\n] (PCRE's `.` only excludes \n; JS's also \r etc.);
//   - m: `^`/`$` become look-arounds on \n; without m, `$` also matches before a final \n as
//     in PCRE.
// PCRE constructs that JS would silently read differently (\A, \z, \Z, \Q…\E, POSIX classes,
// a leading `]` in a class, (?P<name>…), \e, \a, \v, \h, \R, \x{…}) are rewritten; constructs
// with no faithful equivalent (atomic groups, recursion, conditionals, possessive
// quantifiers, scoped inline flags, \p, \G, \K, …) are rejected with an error instead of being
// matched differently. Known residual difference: case-insensitive matching of non-ASCII
// letters follows JS's simple case mapping rather than PCRE's Unicode folding.
// Workflow-safe: no imports.

export interface TranslatedRegex {
  /** pattern valid in both JS (no `u` flag) and PCRE, with the same meaning */
  source: string;
  /** the only flag left: case-insensitive */
  ignoreCase: boolean;
}

export type RegexTranslation = { ok: true; regex: TranslatedRegex } | { ok: false; error: string };

const ALLOWED_OPTIONS = new Set(['i', 'm', 's', 'x']);
const START_OF_SUBJECT = '(?<![\\s\\S])';
const END_OF_SUBJECT = '(?![\\s\\S])';
const END_OR_BEFORE_FINAL_NEWLINE = '(?=\\n?(?![\\s\\S]))';
const VERTICAL_SPACE = '\\n\\x0B\\f\\r\\x85\\u2028\\u2029';
const HORIZONTAL_SPACE = '\\t \\xA0\\u1680\\u180E\\u2000-\\u200A\\u202F\\u205F\\u3000';
const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\x0B\\f\\r ',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1F\\x7F',
  print: '\\x20-\\x7E',
  graph: '\\x21-\\x7E',
};
const PASS_THROUGH_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 't', 'n', 'r', 'f']);
const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

class RegexSyntaxError extends Error {}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
}

/** Validates an options string: only i, m, s, x (any order, repeats allowed as in $regex). */
export function checkRegexOptions(options: string): string | null {
  for (const ch of options) {
    if (!ALLOWED_OPTIONS.has(ch)) return `unsupported regex option '${ch}' (allowed: i, m, s, x)`;
  }
  return null;
}

export function translatePcreRegex(pattern: string, options = ''): RegexTranslation {
  const optionError = checkRegexOptions(options);
  if (optionError) return { ok: false, error: optionError };
  if (pattern.includes('\0')) return { ok: false, error: 'regex pattern contains a null character' };
  const flags: Flags = {
    i: options.includes('i'),
    m: options.includes('m'),
    s: options.includes('s'),
    x: options.includes('x'),
  };
  let source: string;
  try {
    source = new Translator(pattern, flags).run();
  } catch (err) {
    if (err instanceof RegexSyntaxError) return { ok: false, error: err.message };
    throw err;
  }
  try {
    new RegExp(source, flags.i ? 'i' : '');
  } catch (err) {
    return { ok: false, error: `invalid regex pattern: ${(err as Error).message}` };
  }
  return { ok: true, regex: { source, ignoreCase: flags.i } };
}

/** Compiles a translation into a JS RegExp. */
export function toJsRegExp(regex: TranslatedRegex): RegExp {
  return new RegExp(regex.source, regex.ignoreCase ? 'i' : '');
}

function escapeLiteral(ch: string): string {
  if (/[A-Za-z0-9_]/.test(ch)) return ch;
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  const code = ch.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code > 0x7f) return ch;
  return `\\${ch}`;
}

function hexEscape(code: number): string {
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  throw new RegexSyntaxError(`code point \\x{${code.toString(16)}} above U+FFFF is not supported`);
}

/** PCRE's largest {n,m} repeat count. */
const MAX_REPEAT = 65535;

type GroupKind = 'group' | 'lookbehind';

class Translator {
  private pos = 0;
  private out = '';
  /** open groups, innermost last: what PCRE's compile-time checks need */
  private readonly open: GroupKind[] = [];
  /** per open group: does it hold a variable repeat (*, +, ?, {n,m})? */
  private readonly repeats: boolean[] = [];
  /** the last thing read was `)` closing a group that holds a variable repeat */
  private closedRepeatingGroup = false;
  private captures = 0;
  private readonly names = new Set<string>();
  private highestBackreference = 0;
  private readonly namedBackreferences: string[] = [];

  constructor(
    private readonly pattern: string,
    private readonly flags: Flags,
  ) {}

  run(): string {
    this.readLeadingInlineFlags();
    while (this.pos < this.pattern.length) this.readOutsideClass();
    // JS reads a reference to a group that does not exist as a literal or octal escape; PCRE refuses it
    if (this.highestBackreference > this.captures) throw new RegexSyntaxError(`reference to non-existent subpattern \\${this.highestBackreference}`);
    const unknown = this.namedBackreferences.find((name) => !this.names.has(name));
    if (unknown !== undefined) throw new RegexSyntaxError(`reference to non-existent subpattern '${unknown}'`);
    return this.out;
  }

  private get inLookbehind(): boolean {
    return this.open.includes('lookbehind');
  }

  /** PCRE requires a lookbehind to match a fixed length; JS does not, so such patterns would differ. */
  private requireFixedLength(what: string): void {
    if (this.inLookbehind) throw new RegexSyntaxError(`lookbehind assertion is not fixed length (${what} inside (?<= or (?<!)`);
  }

  private peek(offset = 0): string | undefined {
    return this.pattern[this.pos + offset];
  }

  /** `(?imsx)` at the very start sets options for the whole pattern, as in PCRE. */
  private readLeadingInlineFlags(): void {
    const match = /^\(\?([imsx]+)\)/.exec(this.pattern);
    if (!match) return;
    for (const ch of match[1]) this.flags[ch as keyof Flags] = true;
    this.pos = match[0].length;
  }

  private readOutsideClass(): void {
    const ch = this.pattern[this.pos];
    if (this.flags.x && /[ \t\n\r\f\v]/.test(ch)) {
      this.pos++;
      return;
    }
    if (this.flags.x && ch === '#') {
      const newline = this.pattern.indexOf('\n', this.pos);
      this.pos = newline === -1 ? this.pattern.length : newline + 1;
      return;
    }
    const afterRepeatingGroup = this.closedRepeatingGroup;
    this.closedRepeatingGroup = false;
    switch (ch) {
      case '\\':
        this.out += this.readEscape(false);
        return;
      case '[':
        this.readClass();
        return;
      case '.':
        this.pos++;
        this.out += this.flags.s ? '[\\s\\S]' : '[^\\n]';
        return;
      case '^':
        this.pos++;
        this.out += this.flags.m ? '(?<![^\\n])' : '^';
        return;
      case '$':
        this.pos++;
        this.out += this.flags.m ? '(?![^\\n])' : END_OR_BEFORE_FINAL_NEWLINE;
        return;
      case '(':
        this.readGroupOpening();
        return;
      case ')': {
        this.pos++;
        this.out += ')';
        this.open.pop();
        const repeating = this.repeats.pop() ?? false;
        if (repeating) this.markRepeat();
        this.closedRepeatingGroup = repeating;
        return;
      }
      case '|':
        this.pos++;
        this.out += '|';
        // branches of a lookbehind may differ in length only at its top level
        if (this.inLookbehind && this.open[this.open.length - 1] !== 'lookbehind') this.requireFixedLength("'|' in a group");
        return;
      case '*':
      case '+':
      case '?':
        if (afterRepeatingGroup && ch !== '?') this.rejectNestedRepeat();
        this.pos++;
        this.out += ch;
        this.requireFixedLength(`'${ch}'`);
        this.markRepeat();
        this.rejectPossessive();
        return;
      case '{': {
        const quantifier = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.pattern.slice(this.pos));
        if (!quantifier) {
          this.pos++;
          this.out += '\\{';
          return;
        }
        const [text, min, comma, max] = quantifier;
        if (Number(min) > MAX_REPEAT || (max && Number(max) > MAX_REPEAT)) throw new RegexSyntaxError(`number too big in {} quantifier (at most ${MAX_REPEAT})`);
        if (comma && max !== min) this.requireFixedLength(`'${text}'`);
        if (afterRepeatingGroup && (comma ? max === '' || Number(max) > 1 : Number(min) > 1)) this.rejectNestedRepeat();
        if (comma && max !== min) this.markRepeat();
        this.pos += text.length;
        this.out += text;
        this.rejectPossessive();
        return;
      }
      default:
        this.pos++;
        this.out += ch;
    }
  }

  private markRepeat(): void {
    if (this.repeats.length > 0) this.repeats[this.repeats.length - 1] = true;
  }

  /** `(a+)*` and the like can take exponential time to fail to match (JS has no match limit as PCRE does). */
  private rejectNestedRepeat(): never {
    throw new RegexSyntaxError('nested repeats such as (a+)* are not supported: matching them can take exponential time');
  }

  private rejectPossessive(): void {
    if (this.peek() === '+') throw new RegexSyntaxError('possessive quantifiers are not supported');
  }

  private readGroupOpening(): void {
    const rest = this.pattern.slice(this.pos);
    if (rest.startsWith('(*')) throw new RegexSyntaxError('PCRE verbs such as (*UTF) are not supported');
    if (!rest.startsWith('(?')) {
      this.pos++;
      this.out += '(';
      this.open.push('group');
      this.repeats.push(false);
      this.captures++;
      return;
    }
    if (rest.startsWith('(?#')) {
      const close = this.pattern.indexOf(')', this.pos);
      if (close === -1) throw new RegexSyntaxError('unterminated (?# comment');
      this.pos = close + 1;
      return;
    }
    for (const prefix of ['(?:', '(?=', '(?!', '(?<=', '(?<!']) {
      if (rest.startsWith(prefix)) {
        this.pos += prefix.length;
        this.out += prefix;
        this.open.push(prefix === '(?<=' || prefix === '(?<!' ? 'lookbehind' : 'group');
        this.repeats.push(false);
        return;
      }
    }
    const named = /^\(\?(?:P?<([^>]*)>|'([^']*)')/.exec(rest);
    if (named) {
      const name = named[1] ?? named[2];
      if (!GROUP_NAME.test(name)) throw new RegexSyntaxError(`invalid group name '${name}'`);
      this.pos += named[0].length;
      this.out += `(?<${name}>`;
      this.open.push('group');
      this.repeats.push(false);
      this.captures++;
      this.names.add(name);
      return;
    }
    const namedBackref = /^\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
    if (namedBackref) {
      this.requireFixedLength('a backreference');
      this.pos += namedBackref[0].length;
      this.out += `\\k<${namedBackref[1]}>`;
      this.namedBackreferences.push(namedBackref[1]);
      return;
    }
    if (/^\(\?[-imsxJUn]*[:)]/.test(rest)) {
      throw new RegexSyntaxError('inline option settings are only supported at the start of the pattern');
    }
    throw new RegexSyntaxError(`unsupported group syntax '${rest.slice(0, 3)}'`);
  }

  private readClass(): void {
    this.pos++;
    this.out += '[';
    if (this.peek() === '^') {
      this.pos++;
      this.out += '^';
    }
    // In PCRE a `]` right after `[` or `[^` is a literal; in JS it would close the class.
    if (this.peek() === ']') {
      this.pos++;
      this.out += '\\]';
    }
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new RegexSyntaxError('missing terminating ] for character class');
      if (ch === ']') {
        this.pos++;
        this.out += ']';
        return;
      }
      if (ch === '\\') {
        this.out += this.readEscape(true);
        continue;
      }
      if (ch === '[') {
        this.out += this.readPosixClassOrBracket();
        continue;
      }
      this.pos++;
      this.out += ch;
    }
  }

  private readPosixClassOrBracket(): string {
    const match = /^\[:(\^?)([a-z]+):\]/.exec(this.pattern.slice(this.pos));
    if (!match) {
      this.pos++;
      return '\\[';
    }
    const ranges = POSIX_CLASSES[match[2]];
    if (!ranges) throw new RegexSyntaxError(`unknown POSIX class [:${match[2]}:]`);
    if (match[1]) throw new RegexSyntaxError(`negated POSIX class [:^${match[2]}:] is not supported`);
    this.pos += match[0].length;
    return ranges;
  }

  /** Reads a backslash escape at `pos` and returns its translation. */
  private readEscape(inClass: boolean): string {
    const next = this.pattern[this.pos + 1];
    if (next === undefined) throw new RegexSyntaxError('pattern ends with a backslash');
    this.pos += 2;
    if (PASS_THROUGH_ESCAPES.has(next)) return `\\${next}`;
    switch (next) {
      case 'Q':
        return this.readQuoted();
      case 'E':
        return '';
      case 'b':
        return '\\b';
      case 'B':
        if (inClass) throw new RegexSyntaxError('\\B is not allowed in a character class');
        return '\\B';
      case 'A':
        return inClass ? this.classAnchorError('A') : START_OF_SUBJECT;
      case 'z':
        return inClass ? this.classAnchorError('z') : END_OF_SUBJECT;
      case 'Z':
        return inClass ? this.classAnchorError('Z') : END_OR_BEFORE_FINAL_NEWLINE;
      case 'e':
        return '\\x1b';
      case 'a':
        return '\\x07';
      case 'v':
        return inClass ? VERTICAL_SPACE : `[${VERTICAL_SPACE}]`;
      case 'h':
        return inClass ? HORIZONTAL_SPACE : `[${HORIZONTAL_SPACE}]`;
      case 'V':
      case 'H':
        if (inClass) throw new RegexSyntaxError(`\\${next} is not supported in a character class`);
        return `[^${next === 'V' ? VERTICAL_SPACE : HORIZONTAL_SPACE}]`;
      case 'R':
        if (inClass) throw new RegexSyntaxError('\\R is not allowed in a character class');
        return `(?:\\r\\n|[${VERTICAL_SPACE}])`;
      case 'x':
        return this.readHexEscape();
      case 'c': {
        const letter = this.peek();
        if (letter === undefined || !/[A-Za-z]/.test(letter)) throw new RegexSyntaxError('\\c must be followed by a letter');
        this.pos++;
        return `\\c${letter}`;
      }
      case 'k':
        if (inClass) throw new RegexSyntaxError('\\k is not allowed in a character class');
        return this.readNamedBackreference();
      default:
        break;
    }
    if (next >= '0' && next <= '9') return this.readNumericEscape(next, inClass);
    if (/[A-Za-z]/.test(next)) throw new RegexSyntaxError(`unsupported escape \\${next}`);
    return escapeLiteral(next);
  }

  private classAnchorError(letter: string): never {
    throw new RegexSyntaxError(`\\${letter} is not allowed in a character class`);
  }

  private readQuoted(): string {
    const end = this.pattern.indexOf('\\E', this.pos);
    const literal = this.pattern.slice(this.pos, end === -1 ? undefined : end);
    this.pos = end === -1 ? this.pattern.length : end + 2;
    return [...literal].map(escapeLiteral).join('');
  }

  private readHexEscape(): string {
    if (this.peek() === '{') {
      const close = this.pattern.indexOf('}', this.pos);
      const digits = close === -1 ? '' : this.pattern.slice(this.pos + 1, close);
      if (!/^[0-9A-Fa-f]{1,8}$/.test(digits)) throw new RegexSyntaxError('invalid \\x{...} escape');
      this.pos = close + 1;
      return hexEscape(parseInt(digits, 16));
    }
    const digits = /^[0-9A-Fa-f]{0,2}/.exec(this.pattern.slice(this.pos))?.[0] ?? '';
    this.pos += digits.length;
    return hexEscape(digits ? parseInt(digits, 16) : 0);
  }

  private readNamedBackreference(): string {
    const match = /^(?:<([A-Za-z_][A-Za-z0-9_]*)>|'([A-Za-z_][A-Za-z0-9_]*)'|\{([A-Za-z_][A-Za-z0-9_]*)\})/.exec(
      this.pattern.slice(this.pos),
    );
    if (!match) throw new RegexSyntaxError('invalid \\k backreference');
    this.requireFixedLength('a backreference');
    const name = match[1] ?? match[2] ?? match[3]!;
    this.namedBackreferences.push(name);
    this.pos += match[0].length;
    return `\\k<${name}>`;
  }

  /** \0 and \0oo are octal; \1..\9 are backreferences; longer numbers are ambiguous in PCRE. */
  private readNumericEscape(first: string, inClass: boolean): string {
    if (first === '0') {
      const digits = /^[0-7]{0,2}/.exec(this.pattern.slice(this.pos))?.[0] ?? '';
      this.pos += digits.length;
      return hexEscape(parseInt(`0${digits}`, 8));
    }
    if (inClass) throw new RegexSyntaxError(`octal escape \\${first}... in a character class is not supported`);
    if (/[0-9]/.test(this.peek() ?? '')) throw new RegexSyntaxError('backreferences above \\9 are not supported');
    this.requireFixedLength('a backreference');
    this.highestBackreference = Math.max(this.highestBackreference, Number(first));
    return `\\${first}`;
  }
}
