/**
 * Bytes from /proc (comm, cmdline, exe, cwd, environ) as lossless strings: UTF-8 decoded
 * with Python's `surrogateescape` error handler (PEP 383), as `os.fsdecode` and psutil do.
 * A byte that is not part of valid UTF-8 becomes the lone surrogate U+DC80..U+DCFF, so the
 * string round-trips to the exact bytes with {@link fsencodeBytes}, and compares equal to
 * what Python (and psutil) report for the same process.
 * @internal
 */
import { isUtf8 } from 'node:buffer';
import { invalidArgValue } from './errors';

const NON_ASCII = /[^\x00-\x7f]/;

// The second byte's range for each lead byte (RFC 3629 table; no overlongs, no surrogates,
// nothing past U+10FFFF), as CPython's strict decoder.
function secondRange(lead: number): [number, number] {
  if (lead === 0xe0) return [0xa0, 0xbf];
  if (lead === 0xed) return [0x80, 0x9f];
  if (lead === 0xf0) return [0x90, 0xbf];
  if (lead === 0xf4) return [0x80, 0x8f];
  return [0x80, 0xbf];
}

/** Decodes bytes as UTF-8 with surrogateescape. @internal */
export function fsdecodeBytes(bytes: Uint8Array): string {
  if (isUtf8(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let out = '';
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b0 = bytes[i];
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    const len = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
    let ok = len > 0 && i + len <= n;
    if (ok) {
      const [lo, hi] = secondRange(b0);
      ok = bytes[i + 1] >= lo && bytes[i + 1] <= hi;
      for (let k = 2; ok && k < len; k++) ok = (bytes[i + k] & 0xc0) === 0x80;
    }
    if (!ok) {
      out += String.fromCharCode(0xdc00 + b0);
      i++;
      continue;
    }
    let cp = b0 & (0xff >> (len + 1));
    for (let k = 1; k < len; k++) cp = (cp << 6) | (bytes[i + k] & 0x3f);
    out += String.fromCodePoint(cp);
    i += len;
  }
  return out;
}

/**
 * A string that holds one byte per char (native code returns /proc text as latin1: no copy
 * through a decoder that would lose bytes), decoded as {@link fsdecodeBytes}. @internal
 */
export function fsdecodeLatin1(s: string): string {
  return NON_ASCII.test(s) ? fsdecodeBytes(Buffer.from(s, 'latin1')) : s;
}

/**
 * The bytes of a string decoded with surrogateescape: UTF-8, except that a lone surrogate
 * U+DC80..U+DCFF is the byte 0x80..0xFF it stands for. Any other lone surrogate cannot have
 * come from bytes: ERR_INVALID_ARG_VALUE (Python: UnicodeEncodeError). @internal
 */
export function fsencodeBytes(s: string, name: string): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++; // a valid pair
        continue;
      }
    }
    if (c < 0xdc80 || c > 0xdcff) throw invalidArgValue(name, s, `holds a lone surrogate U+${c.toString(16).toUpperCase()} that stands for no byte`);
    parts.push(Buffer.from(s.slice(start, i), 'utf8'), Buffer.from([c - 0xdc00]));
    start = i + 1;
  }
  if (start === 0) return Buffer.from(s, 'utf8');
  parts.push(Buffer.from(s.slice(start), 'utf8'));
  return Buffer.concat(parts);
}
