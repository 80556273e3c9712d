/**
 * Keys read from a terminal in raw mode, decoded from the bytes a terminal sends: printable
 * characters, Enter, Backspace, Escape, Ctrl-C, Ctrl-Z, and the arrow and paging keys
 * (CSI `ESC [ ... final` and SS3 `ESC O x` sequences). A sequence `top` does not know is
 * one 'other' key, never a run of stray characters.
 * @see console_codes(4), ECMA-48
 * @internal
 */

/** A key that is not a character. */
export type SpecialKey = 'enter' | 'backspace' | 'escape' | 'ctrl-c' | 'ctrl-z' | 'up' | 'down' | 'pageup' | 'pagedown' | 'home' | 'end' | 'other';

/** One key press. */
export type Key = { readonly kind: 'char'; readonly ch: string } | { readonly kind: SpecialKey };

const CSI_KEYS: Readonly<Record<string, SpecialKey>> = {
  A: 'up',
  B: 'down',
  H: 'home',
  F: 'end',
  '1~': 'home',
  '7~': 'home',
  '4~': 'end',
  '8~': 'end',
  '5~': 'pageup',
  '6~': 'pagedown',
};

/** The keys in one chunk of terminal input (a chunk may hold several, as a paste does). */
export function decodeKeys(data: string): Key[] {
  const keys: Key[] = [];
  const chars = [...data];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    const code = ch.codePointAt(0) as number;
    if (ch === '\x1b') {
      const next = chars[i + 1];
      if (next === '[') {
        // CSI: parameter and intermediate bytes (0x20-0x3f), then one final byte (0x40-0x7e)
        let j = i + 2;
        let body = '';
        while (j < chars.length && /[\x20-\x3f]/.test(chars[j])) body += chars[j++];
        if (j < chars.length && /[\x40-\x7e]/.test(chars[j])) {
          const final = chars[j];
          keys.push({ kind: CSI_KEYS[final === '~' ? `${body}~` : body === '' || body === '1' ? final : `${body}${final}`] ?? 'other' });
          i = j;
        } else {
          keys.push({ kind: 'other' });
          i = j - 1;
        }
      } else if (next === 'O' && i + 2 < chars.length) {
        keys.push({ kind: CSI_KEYS[chars[i + 2]] ?? 'other' });
        i += 2;
      } else {
        keys.push({ kind: 'escape' });
      }
    } else if (ch === '\r' || ch === '\n') keys.push({ kind: 'enter' });
    else if (ch === '\x7f' || ch === '\b') keys.push({ kind: 'backspace' });
    else if (ch === '\x03') keys.push({ kind: 'ctrl-c' });
    else if (ch === '\x1a') keys.push({ kind: 'ctrl-z' });
    else if (code < 0x20 || (code >= 0x80 && code <= 0x9f)) keys.push({ kind: 'other' });
    else keys.push({ kind: 'char', ch });
  }
  return keys;
}
