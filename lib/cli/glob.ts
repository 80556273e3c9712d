/**
 * The pattern language of `unixproc guard --ignore`: a shell-style glob, matched against
 * the WHOLE text in time linear in the text's length (issue 8, defect 9).
 *
 * The text is a leaked process's command line, chosen by that process: a regular
 * expression run on it by a backtracking engine such as JS RegExp can take exponential time
 * (`^(a+)+$` on `aaaa…a!` spent 89 s of CPU in the guard and it could not answer SIGTERM).
 * A glob with only `*` and `?` needs no backtracking beyond the last `*`: the greedy
 * algorithm below does at most O(text length × pattern length) steps.
 *
 * - `*` matches any run of characters, none included (spaces and `/` too);
 * - `?` matches exactly one character (a code point: an emoji is one);
 * - `\` makes the next character literal (`\*`, `\?`, `\\`, `\[`);
 * - every other character matches itself, case-sensitively;
 * - `[` is refused (no character classes: rather than match a literal `[` where the user
 *   meant a class, as fnmatch would not, say so), and so is a trailing lone `\`.
 *
 * Anchored at both ends, as in the shell and fnmatch(3): `sleep *` matches `sleep 300` but not
 * `/bin/sleep 300`; write `*sleep*` to match anywhere. (pgrep's unanchored regex is the wrong
 * default for a filter that hides leaks: a short pattern would hide more than meant.)
 * @see glob(7), fnmatch(3)
 * @internal
 */

const STAR = 0;
const ANY = 1;
const CHAR = 2;

/** A pattern that is not a valid glob; the message says why. @internal */
export class GlobSyntaxError extends Error {
  override readonly name = 'GlobSyntaxError';
}

/** A compiled glob. @internal */
export interface Glob {
  /** The pattern as given. */
  readonly source: string;
  /** Whether the whole of `text` matches. */
  matches(text: string): boolean;
}

/** Width in UTF-16 code units of the code point at `i` (a surrogate pair is one character). */
function widthAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/**
 * Compiles `pattern`.
 * @throws GlobSyntaxError for `[` and for a trailing `\`.
 * @internal
 */
export function compileGlob(pattern: string): Glob {
  const kinds: number[] = [];
  const chars: string[] = [];
  for (let i = 0; i < pattern.length; ) {
    let w = widthAt(pattern, i);
    let ch = pattern.slice(i, i + w);
    if (ch === '*') {
      // `**` is `*`: collapsing keeps the token count, and so the bound, small.
      if (kinds[kinds.length - 1] !== STAR) {
        kinds.push(STAR);
        chars.push('');
      }
    } else if (ch === '?') {
      kinds.push(ANY);
      chars.push('');
    } else if (ch === '[') {
      throw new GlobSyntaxError(
        `'[' at ${i}: character classes are not supported (write \\[ for a literal '[')`,
      );
    } else {
      if (ch === '\\') {
        if (i + 1 >= pattern.length) throw new GlobSyntaxError("a trailing '\\' escapes nothing (write \\\\ for a literal '\\')");
        const next = widthAt(pattern, i + 1);
        ch = pattern.slice(i + 1, i + 1 + next);
        w = 1 + next;
      }
      kinds.push(CHAR);
      chars.push(ch);
    }
    i += w;
  }
  const m = kinds.length;

  const matches = (text: string): boolean => {
    const n = text.length;
    let t = 0;
    let p = 0;
    // The last `*` seen and where in the text it is currently assumed to end. Greedy
    // leftmost matching is complete for `*`/`?` globs: a later `*` can absorb anything an
    // earlier one would have, so only the last `*` is ever retried, and its end only moves
    // forward. Hence at most n retries of at most m steps each.
    let starP = -1;
    let starT = 0;
    while (t < n) {
      if (p < m) {
        const k = kinds[p];
        if (k === STAR) {
          starP = p++;
          starT = t;
          continue;
        }
        if (k === ANY) {
          t += widthAt(text, t);
          p++;
          continue;
        }
        const c = chars[p];
        if (text.startsWith(c, t)) {
          t += c.length;
          p++;
          continue;
        }
      }
      if (starP === -1) return false;
      starT += widthAt(text, starT);
      t = starT;
      p = starP + 1;
    }
    while (p < m && kinds[p] === STAR) p++;
    return p === m;
  };

  return { source: pattern, matches };
}
