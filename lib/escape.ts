/**
 * Escaping text for a terminal: process names and command lines are chosen by whoever
 * started the process, so they may hold newlines, terminal escape sequences (ESC [ ...) or
 * bidi controls meant to rewrite or reorder what is shown. Every human-readable line this
 * library writes from such text goes through {@link escapeText} exactly once: the CLI's
 * tables and messages, and the leak guard's report.
 * @internal
 */

// U+2028/2029 break lines in some terminals and editors; the bidi controls reorder what
// follows them (CVE-2021-42574 "Trojan Source"): shown escaped, like control characters.
const INVISIBLE = new Set([0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);

const NAMED: Readonly<Record<number, string>> = { 0x0a: '\\n', 0x09: '\\t', 0x0d: '\\r', 0x5c: '\\\\' };

export function hex(cp: number, digits: number): string {
  return cp.toString(16).padStart(digits, '0');
}

/** The escaped form of one code point (itself when it is printable). */
export function escapeCodePoint(ch: string): string {
  const cp = ch.codePointAt(0) as number;
  const named = NAMED[cp];
  if (named !== undefined) return named;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) return `\\x${hex(cp, 2)}`;
  if (INVISIBLE.has(cp)) return `\\u${hex(cp, 4)}`;
  return ch;
}

// What escapeCodePoint changes, for one replace over a whole text.
// eslint-disable-next-line no-control-regex
const ESCAPED = /[\x00-\x1f\\\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text that escapes to itself: printable ASCII but the backslash (every code point of it is
 * its own escapeCodePoint). The one test of a fast path for the common cell, a pid or a
 * comm: a table of 2000 processes is ~16000 of them. @internal
 */
export const PLAIN = /^[\x20-\x5b\x5d-\x7e]*$/;

/**
 * Escapes text for a terminal: backslash as `\\`, newline, tab and carriage return as
 * `\n`, `\t`, `\r`, other C0 and C1 control characters and DEL as `\xHH` (ESC is `\x1b`),
 * line separators and bidi controls as `\uHHHH`. Everything else is kept, so the result
 * is unambiguous: a literal backslash-n in a name reads `\\n`.
 */
export function escapeText(s: string): string {
  if (PLAIN.test(s)) return s; // the common cell: nothing to escape
  // One replace over what escapeCodePoint changes (none of it is a surrogate, so matching
  // UTF-16 code units is matching code points): the same text as escaping each code point,
  // without a string built one character at a time (a 30 MB tree drawing took 24 s).
  return s.replace(ESCAPED, escapeCodePoint);
}


