/**
 * Translates the Oniguruma (Ruby syntax) regular expressions found in tokenizer.json into
 * JavaScript regular expressions (flag `v`) that match the same text.
 *
 * Differences handled: `\s` is Unicode White_Space (JS `\s` has U+FEFF and lacks U+0085),
 * `\d` and `\w` are Unicode-wide, `\h` is a hex digit, `(?i: … )` groups (JS has no inline
 * modifiers in Node 20) become per-letter case classes, `.` excludes only `\n`, `^`/`$` are
 * line anchors, `\b` is a Unicode word boundary, `\x{…}` is `\u{…}`, and lone braces or
 * punctuation escapes that `v` mode rejects are rewritten. Atomic groups, possessive
 * quantifiers and multi-character case folding (`(?i:ss)` matching `ß`) are not supported:
 * they throw.
 */

// Oniguruma's \w: Alphabetic, marks, decimal digits, connector punctuation; a bare \w (not
// inside brackets) also takes the Latin-1 superscripts and fractions, as measured on the oracle
const WORD_BODY = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}';
const WORD_CLASS = `[${WORD_BODY}\\u00b2\\u00b3\\u00b9\\u00bc-\\u00be]`;
const NOT_WORD_CLASS = `[^${WORD_BODY}\\u00b2\\u00b3\\u00b9\\u00bc-\\u00be]`;
const WORD_IN_CLASS = `[${WORD_BODY}]`;
const NOT_WORD_IN_CLASS = `[^${WORD_BODY}]`;
const WORD_BOUNDARY = `(?:(?<=${WORD_CLASS})(?!${WORD_CLASS})|(?<!${WORD_CLASS})(?=${WORD_CLASS}))`;
const NOT_WORD_BOUNDARY = `(?:(?<=${WORD_CLASS})(?=${WORD_CLASS})|(?<!${WORD_CLASS})(?!${WORD_CLASS}))`;

/** Characters that must be escaped inside a `v`-mode class (and may be). */
const CLASS_ESCAPE = new Set('()[]{}/-\\|&!#%,:;<=>@`~^$.*+?');
/** Characters that must be escaped outside a class. */
const SYNTAX = new Set('^$\\.*+?()[]{}|/');

const POSIX_PROPERTIES: Record<string, string> = {
  alpha: '\\p{Alphabetic}',
  alphabetic: '\\p{Alphabetic}',
  digit: '\\p{Nd}',
  space: '\\p{White_Space}',
  punct: '\\p{P}',
  upper: '\\p{Uppercase}',
  lower: '\\p{Lowercase}',
  cntrl: '\\p{Cc}',
  word: '[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}]',
  alnum: '[\\p{Alphabetic}\\p{Nd}]',
  xdigit: '[0-9A-Fa-f]',
};

function validProperty(body: string): boolean {
  try {
    new RegExp(`\\p{${body}}`, 'v');
    return true;
  } catch {
    return false;
  }
}

/** Maps an Oniguruma property name to a JS `\p{…}` (or a class) and negates it when asked. */
function property(name: string, negated: boolean, fail: (m: string) => Error): string {
  const candidates = [name, `Script=${name}`, name.replace(/[\s_-]/g, '')];
  if (name.length > 0) {
    const cap = name[0].toUpperCase() + name.slice(1).toLowerCase();
    candidates.push(cap, `Script=${cap}`);
  }
  for (const c of candidates) {
    if (validProperty(c)) return `\\${negated ? 'P' : 'p'}{${c}}`;
  }
  const posix = POSIX_PROPERTIES[name.toLowerCase().replace(/[\s_-]/g, '')];
  if (posix) {
    if (!negated) return posix;
    if (posix.startsWith('\\p')) return `\\P${posix.slice(2)}`;
    return `[^${posix.slice(1)}`;
  }
  throw fail(`unknown Unicode property '\\p{${name}}'`);
}

/** The letters a case-insensitive `c` matches (simple case folding as Oniguruma and JS do). */
function caseVariants(c: string): string[] {
  const out = new Set([c, c.toLowerCase(), c.toUpperCase()]);
  const lower = c.toLowerCase();
  if (lower === 's') out.add('\u017f');
  if (lower === 'k') out.add('\u212a');
  if (lower === '\u00e5') out.add('\u212b');
  return [...out].filter((v) => [...v].length === 1);
}

function escapeInClass(ch: string): string {
  return CLASS_ESCAPE.has(ch) ? `\\${ch}` : ch;
}

/** Error raised for a pattern this translator does not support. */
export class RegexTranslationError extends Error {}

/**
 * Returns the JS `v`-flag source equivalent to the Oniguruma pattern `pattern`.
 * Throws a RegexTranslationError naming the construct when it cannot.
 */
export function translateRegex(pattern: string): string {
  const chars = [...pattern];
  let i = 0;
  const fail = (m: string) =>
    new RegexTranslationError(`${m} at position ${i} of the pattern ${JSON.stringify(pattern)}`);

  // flag stack: one entry per open group, holding the flags to restore when it closes
  const stack: { ignoreCase: boolean; dotAll: boolean }[] = [];
  let ignoreCase = false;
  let dotAll = false;

  const readHex = (): string => {
    // after \x: either {H…} or up to two hex digits
    if (chars[i] === '{') {
      const end = chars.indexOf('}', i);
      if (end < 0) throw fail('unterminated \\x{');
      const hex = chars.slice(i + 1, end).join('');
      if (!/^[0-9a-fA-F]{1,6}$/.test(hex)) throw fail(`bad \\x{${hex}}`);
      i = end + 1;
      return String.fromCodePoint(Number.parseInt(hex, 16));
    }
    let hex = '';
    while (hex.length < 2 && i < chars.length && /[0-9a-fA-F]/.test(chars[i])) hex += chars[i++];
    if (!hex) throw fail('bad \\x escape');
    return String.fromCodePoint(Number.parseInt(hex, 16));
  };

  const readProperty = (negated: boolean): string => {
    // after \p or \P
    if (chars[i] !== '{') throw fail('expected { after \\p');
    const end = chars.indexOf('}', i);
    if (end < 0) throw fail('unterminated \\p{');
    let name = chars.slice(i + 1, end).join('');
    i = end + 1;
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    return property(name, negated, fail);
  };

  /** Literal characters produced by simple escapes, or null when `e` is not one. */
  const simpleEscape = (e: string): string | null => {
    switch (e) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case 'a':
        return '\x07';
      case 'e':
        return '\x1b';
      case '0':
        return '\0';
      default:
        return null;
    }
  };

  const literal = (ch: string, inClass: boolean): string => {
    if (ignoreCase && /\p{L}/u.test(ch)) {
      const v = caseVariants(ch);
      if (v.length > 1) {
        const body = v.map((x) => escapeInClass(x)).join('');
        return inClass ? body : `[${body}]`;
      }
    }
    if (inClass) return escapeInClass(ch);
    if (SYNTAX.has(ch)) return `\\${ch}`;
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    return ch;
  };

  /** Translates a class starting at chars[i] === '['; returns the JS class. */
  const parseClass = (): string => {
    i++; // [
    let out = '[';
    if (chars[i] === '^') {
      out += '^';
      i++;
    }
    let first = true;
    let lastWasAtom = false;
    while (i < chars.length) {
      const ch = chars[i];
      if (ch === ']' && !first) {
        i++;
        return `${out}]`;
      }
      first = false;
      if (ch === '[') {
        if (chars[i + 1] === ':') {
          const end = chars.indexOf(']', i);
          const body = chars.slice(i + 2, end - 1).join('');
          const neg = body.startsWith('^');
          const name = neg ? body.slice(1) : body;
          const p = POSIX_PROPERTIES[name];
          if (!p || chars[end - 1] !== ':') throw fail(`unknown POSIX class [:${body}:]`);
          out += neg ? (p.startsWith('\\p') ? `\\P${p.slice(2)}` : `[^${p.slice(1)}`) : p;
          i = end + 1;
          lastWasAtom = false;
          continue;
        }
        out += parseClass();
        lastWasAtom = false;
        continue;
      }
      if (ch === '&' && chars[i + 1] === '&')
        throw fail('class intersection (&&) is not supported');
      if (ch === '-' && lastWasAtom && chars[i + 1] !== ']' && i + 1 < chars.length) {
        if (ignoreCase) throw fail('case-insensitive ranges are not supported');
        out += '-';
        i++;
        lastWasAtom = false;
        // the range end is the next atom
        continue;
      }
      if (ch === '\\') {
        const e = chars[i + 1];
        i += 2;
        lastWasAtom = false;
        switch (e) {
          case 's':
            out += '\\p{White_Space}';
            continue;
          case 'S':
            out += '\\P{White_Space}';
            continue;
          case 'd':
            out += '\\p{Nd}';
            continue;
          case 'D':
            out += '\\P{Nd}';
            continue;
          case 'w':
            out += WORD_IN_CLASS;
            continue;
          case 'W':
            out += NOT_WORD_IN_CLASS;
            continue;
          case 'h':
            out += '[0-9a-fA-F]';
            continue;
          case 'H':
            out += '[^0-9a-fA-F]';
            continue;
          case 'p':
          case 'P':
            out += readProperty(e === 'P');
            continue;
          case 'x':
            out += escapeInClass(readHex());
            lastWasAtom = true;
            continue;
          case 'u': {
            const hex = chars.slice(i, i + 4).join('');
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw fail('bad \\u escape');
            i += 4;
            out += escapeInClass(String.fromCharCode(Number.parseInt(hex, 16)));
            lastWasAtom = true;
            continue;
          }
          case undefined:
            throw fail('pattern ends with a backslash');
          default: {
            const s = simpleEscape(e);
            out += s !== null ? escapeInClass(s) : literal(e, true);
            lastWasAtom = true;
            continue;
          }
        }
      }
      out += literal(ch, true);
      i++;
      lastWasAtom = true;
    }
    throw fail('unterminated character class');
  };

  let out = '';
  while (i < chars.length) {
    const ch = chars[i];
    switch (ch) {
      case '\\': {
        const e = chars[i + 1];
        i += 2;
        switch (e) {
          case 's':
            out += '\\p{White_Space}';
            break;
          case 'S':
            out += '\\P{White_Space}';
            break;
          case 'd':
            out += '\\p{Nd}';
            break;
          case 'D':
            out += '\\P{Nd}';
            break;
          case 'w':
            out += WORD_CLASS;
            break;
          case 'W':
            out += NOT_WORD_CLASS;
            break;
          case 'h':
            out += '[0-9a-fA-F]';
            break;
          case 'H':
            out += '[^0-9a-fA-F]';
            break;
          case 'p':
          case 'P':
            out += readProperty(e === 'P');
            break;
          case 'b':
            out += WORD_BOUNDARY;
            break;
          case 'B':
            out += NOT_WORD_BOUNDARY;
            break;
          case 'A':
            out += '(?<![\\s\\S])';
            break;
          case 'z':
            out += '(?![\\s\\S])';
            break;
          case 'Z':
            out += '(?=\\n?(?![\\s\\S]))';
            break;
          case 'R':
            out += '(?:\\r\\n|[\\n\\v\\f\\r\\x85\\u2028\\u2029])';
            break;
          case 'X':
            out += '(?:\\r\\n|\\P{M}\\p{M}*|\\p{M}+)';
            break;
          case 'x':
            out += literal(readHex(), false);
            break;
          case 'u': {
            const hex = chars.slice(i, i + 4).join('');
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw fail('bad \\u escape');
            i += 4;
            out += literal(String.fromCharCode(Number.parseInt(hex, 16)), false);
            break;
          }
          case 'k':
            out += '\\k';
            break;
          case 'G':
          case 'K':
          case 'g':
            throw fail(`\\${e} is not supported`);
          case undefined:
            throw fail('pattern ends with a backslash');
          default: {
            if (/[1-9]/.test(e)) {
              out += `\\${e}`;
              break;
            }
            const s = simpleEscape(e);
            out += s !== null ? literal(s, false) : literal(e, false);
          }
        }
        break;
      }
      case '[':
        out += parseClass();
        break;
      case '(': {
        stack.push({ ignoreCase, dotAll });
        if (chars[i + 1] !== '?') {
          out += '(';
          i++;
          break;
        }
        const next = chars[i + 2];
        if (next === ':' || next === '=' || next === '!') {
          out += `(?${next}`;
          i += 3;
          break;
        }
        if (next === '<' && (chars[i + 3] === '=' || chars[i + 3] === '!')) {
          out += `(?<${chars[i + 3]}`;
          i += 4;
          break;
        }
        if (next === '<' || (next === 'P' && chars[i + 3] === '<')) {
          const start = next === 'P' ? i + 4 : i + 3;
          const end = chars.indexOf('>', start);
          out += `(?<${chars.slice(start, end).join('')}>`;
          i = end + 1;
          break;
        }
        if (next === '>') throw fail('atomic groups (?>…) are not supported');
        if (next === '#') {
          const end = chars.indexOf(')', i);
          i = end + 1;
          stack.pop();
          break;
        }
        // inline options: (?imx-imx) or (?imx-imx: … )
        let j = i + 2;
        let on = true;
        let ic: boolean = ignoreCase;
        let da: boolean = dotAll;
        while (j < chars.length && chars[j] !== ':' && chars[j] !== ')') {
          const o = chars[j];
          if (o === '-') on = false;
          else if (o === 'i') ic = on;
          else if (o === 'm') da = on;
          else throw fail(`inline option '${o}' is not supported`);
          j++;
        }
        if (chars[j] === ':') {
          ignoreCase = ic;
          dotAll = da;
          out += '(?:';
          i = j + 1;
        } else {
          // (?i) applies to the rest of the enclosing group
          stack.pop();
          ignoreCase = ic;
          dotAll = da;
          i = j + 1;
        }
        break;
      }
      case ')': {
        const f = stack.pop();
        if (!f) throw fail('unbalanced )');
        ignoreCase = f.ignoreCase;
        dotAll = f.dotAll;
        out += ')';
        i++;
        break;
      }
      case '.':
        out += dotAll ? '[\\s\\S]' : '[^\\n]';
        i++;
        break;
      case '^':
        out += '(?<![^\\n])';
        i++;
        break;
      case '$':
        out += '(?![^\\n])';
        i++;
        break;
      case '*':
      case '+':
      case '?': {
        out += ch;
        i++;
        if (chars[i] === '+') throw fail('possessive quantifiers are not supported');
        if (chars[i] === '?') {
          out += '?';
          i++;
        }
        break;
      }
      case '{': {
        const rest = chars.slice(i).join('');
        const m = rest.match(/^\{(\d*)(,(\d*))?\}/);
        if (m && (m[1] !== '' || (m[3] ?? '') !== '')) {
          out += m[1] === '' ? `{0,${m[3]}}` : m[0];
          i += m[0].length;
          if (chars[i] === '?') {
            out += '?';
            i++;
          }
        } else {
          out += '\\{';
          i++;
        }
        break;
      }
      case '}':
        out += '\\}';
        i++;
        break;
      case '|':
        out += '|';
        i++;
        break;
      default:
        out += literal(ch, false);
        i++;
    }
  }
  if (stack.length > 0) throw fail('unbalanced (');
  return out;
}

/** Compiles an Oniguruma pattern as a global JS RegExp (flag `v`). */
export function compileRegex(pattern: string): RegExp {
  return new RegExp(translateRegex(pattern), 'gv');
}
