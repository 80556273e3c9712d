/**
 * Controlling terminal: field 7 (tty_nr) of /proc/<pid>/stat, and its device name.
 *
 * tty_nr is the kernel's new_encode_dev() of the tty's dev_t: minor in bits 0-7 and 20-31,
 * major in bits 8-19 (proc(5)). Names come first from the fixed Linux allocations
 * (Documentation/admin-guide/devices.txt): pts (majors 136-143), virtual consoles and
 * serial ports (major 4), /dev/tty, /dev/console (major 5). Anything else (USB serial,
 * and so on) is looked up among the device nodes of /dev by st_rdev, as psutil does;
 * when no name is found the number is still reported.
 * @see proc(5)
 */
import { readdirSync, statSync } from 'node:fs';

/** A controlling terminal. */
export interface Terminal {
  /** The raw tty_nr from /proc/<pid>/stat. */
  readonly nr: number;
  readonly major: number;
  readonly minor: number;
  /** The device path, e.g. `/dev/pts/3`, `/dev/tty1`, `/dev/ttyS0`; undefined if unknown. */
  readonly name: string | undefined;
}

/** Splits a tty_nr (new_encode_dev) into major and minor. */
export function decodeDevice(nr: number): { major: number; minor: number } {
  return { major: (nr >>> 8) & 0xfff, minor: (nr & 0xff) | ((nr >>> 12) & 0xfff00) };
}

/** The name the fixed device allocations give, or undefined. */
export function wellKnownTtyName(major: number, minor: number): string | undefined {
  if (major >= 136 && major <= 143) return `/dev/pts/${(major - 136) * 256 + minor}`;
  if (major === 4) {
    if (minor === 0) return '/dev/tty0';
    if (minor < 64) return `/dev/tty${minor}`;
    return `/dev/ttyS${minor - 64}`;
  }
  if (major === 5) {
    if (minor === 0) return '/dev/tty';
    if (minor === 1) return '/dev/console';
    if (minor === 2) return '/dev/ptmx';
  }
  if (major === 3) return `/dev/ttyp${minor}`;
  return undefined;
}

let devNodes: Map<number, string> | undefined;

// Character devices under /dev whose names look like terminals, keyed by tty_nr encoding.
function devNodeMap(): Map<number, string> {
  if (devNodes !== undefined) return devNodes;
  const map = new Map<number, string>();
  let names: string[] = [];
  try {
    names = readdirSync('/dev').filter((n) => n.startsWith('tty') || n === 'console' || n.startsWith('hvc'));
  } catch {
    // no /dev: names stay unknown
  }
  for (const n of names) {
    try {
      const st = statSync(`/dev/${n}`);
      if (!st.isCharacterDevice()) continue;
      map.set(encodeRdev(st.rdev), `/dev/${n}`);
    } catch {
      // vanished or unreadable
    }
  }
  devNodes = map;
  return map;
}

// glibc's dev_t (major in bits 8-19 and 32-43, minor in 0-7 and 20-31) to new_encode_dev.
function encodeRdev(rdev: number): number {
  const major = Number((BigInt(rdev) >> 8n) & 0xfffn);
  const minor = (rdev & 0xff) | Number((BigInt(rdev) >> 12n) & 0xfff00n);
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

const cache = new Map<number, Terminal | undefined>();

/**
 * The terminal for a tty_nr, or undefined for 0 (no controlling terminal).
 * @param live - whether /dev may be consulted for names the fixed allocations lack.
 */
export function terminalOf(nr: number, live: boolean): Terminal | undefined {
  if (nr === 0 || Number.isNaN(nr)) return undefined;
  const key = live ? nr : -nr - 1;
  if (cache.has(key)) return cache.get(key);
  const { major, minor } = decodeDevice(nr);
  let name = wellKnownTtyName(major, minor);
  if (name === undefined && live) name = devNodeMap().get(nr);
  const t: Terminal = Object.freeze({ nr, major, minor, name });
  cache.set(key, t);
  return t;
}
