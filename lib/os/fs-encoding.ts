/**
 * Python's `os.fsencode` and `os.fsdecode`: file names and /proc text as bytes or as
 * lossless strings (UTF-8 with the `surrogateescape` handler, PEP 383). Every string that
 * unixproc/proc reads from /proc (comm, cmdline, exe, cwd) is decoded this way, so
 * `fsencode(p.comm)` is exactly the bytes the kernel holds, also when they are not UTF-8.
 */
import { invalidArgType } from '../errors';
import { fsdecodeBytes, fsencodeBytes } from '../fs-encoding';

/**
 * The bytes of `filename`, as Python's `os.fsencode`: a string is encoded as UTF-8 with
 * surrogateescape (a lone U+DC80..U+DCFF is the byte 0x80..0xFF); a Buffer is returned as it is.
 * @throws ERR_INVALID_ARG_TYPE for anything but a string or a Buffer; ERR_INVALID_ARG_VALUE
 *   for a lone surrogate outside U+DC80..U+DCFF (Python: UnicodeEncodeError).
 */
export function fsencode(filename: string | Buffer): Buffer {
  if (Buffer.isBuffer(filename)) return filename;
  if (typeof filename !== 'string') throw invalidArgType('filename', 'of type string or an instance of Buffer', filename);
  return fsencodeBytes(filename, 'filename');
}

/**
 * `filename` as a string, as Python's `os.fsdecode`: bytes are decoded as UTF-8 with
 * surrogateescape (a byte that is not valid UTF-8 becomes U+DC80..U+DCFF, so
 * `fsencode(fsdecode(b))` equals `b`); a string is returned as it is.
 * @throws ERR_INVALID_ARG_TYPE for anything but a string, a Buffer or a Uint8Array.
 */
export function fsdecode(filename: string | Uint8Array): string {
  if (typeof filename === 'string') return filename;
  if (!(filename instanceof Uint8Array)) throw invalidArgType('filename', 'of type string or an instance of Buffer or Uint8Array', filename);
  return fsdecodeBytes(filename);
}
