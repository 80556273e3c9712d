/**
 * The sd_notify(3) protocol's text: one datagram, newline-separated `KEY=VALUE` assignments.
 * Parsed as systemd's manager does (src/core/service.c, service_notify_message): a datagram
 * with a NUL byte is refused whole; unknown keys and malformed values of known keys are
 * ignored one by one. The datagram is hostile input: any bytes, any length up to
 * {@link NOTIFY_MESSAGE_MAX}.
 */

/** The longest datagram read (systemd's NOTIFY_BUFFER_MAX, PIPE_BUF): longer ones are refused. */
export const NOTIFY_MESSAGE_MAX = 4096;

/** What one sd_notify datagram says (only the assignments it made). */
export interface NotifyMessage {
  /** `READY=1`: start-up is complete. */
  readonly ready?: true;
  /** `STOPPING=1`: the service is shutting down. */
  readonly stopping?: true;
  /** `STATUS=...`: a free-form status text (UTF-8). */
  readonly status?: string;
  /** `MAINPID=n`: the service's main process. */
  readonly mainPid?: number;
  /** `WATCHDOG=1` (`'ping'`), or `WATCHDOG=trigger` (fail the watchdog now). */
  readonly watchdog?: 'ping' | 'trigger';
  /** `WATCHDOG_USEC=n`: a new watchdog period, in microseconds (0: off). */
  readonly watchdogUsec?: number;
  /** `EXTEND_TIMEOUT_USEC=n`: the start may take n microseconds more from now. */
  readonly extendTimeoutUsec?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A decimal integer in [min, 2^53) with no sign, space or leading '+', or undefined. */
function decimal(text: string, min: number): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}

/**
 * Parses one datagram's bytes.
 * @returns the assignments understood, or undefined when the datagram is refused whole
 *   (it holds a NUL byte).
 */
export function parseNotifyMessage(bytes: Uint8Array): NotifyMessage | undefined {
  if (bytes.includes(0)) return undefined;
  const out: { -readonly [K in keyof NotifyMessage]: NotifyMessage[K] } = {};
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const line = bytes.subarray(start, end);
    start = end + 1;
    const eq = line.indexOf(0x3d);
    if (eq <= 0) continue;
    const key = Buffer.from(line.subarray(0, eq)).toString('latin1');
    const raw = line.subarray(eq + 1);
    const value = (): string | undefined => {
      try {
        return utf8.decode(raw);
      } catch {
        return undefined; // not UTF-8: that assignment is ignored
      }
    };
    switch (key) {
      case 'READY':
        if (value() === '1') out.ready = true;
        break;
      case 'STOPPING':
        if (value() === '1') out.stopping = true;
        break;
      case 'STATUS': {
        const v = value();
        if (v !== undefined) out.status = v;
        break;
      }
      case 'MAINPID': {
        const v = decimal(value() ?? '', 1);
        if (v !== undefined && v <= 0x7fffffff) out.mainPid = v;
        break;
      }
      case 'WATCHDOG': {
        const v = value();
        if (v === '1') out.watchdog = 'ping';
        else if (v === 'trigger') out.watchdog = 'trigger';
        break;
      }
      case 'WATCHDOG_USEC': {
        const v = decimal(value() ?? '', 0);
        if (v !== undefined) out.watchdogUsec = v;
        break;
      }
      case 'EXTEND_TIMEOUT_USEC': {
        const v = decimal(value() ?? '', 0);
        if (v !== undefined) out.extendTimeoutUsec = v;
        break;
      }
      default:
        break; // RELOADING, ERRNO, FDSTORE and the rest: not understood here
    }
  }
  return out;
}
