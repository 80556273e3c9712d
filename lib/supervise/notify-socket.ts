/**
 * The NOTIFY_SOCKET a supervisor serves (native/notify.cc): a unix datagram socket whose
 * datagrams carry the sender's credentials, read from the event loop (a one-shot readable
 * watch of native/exit_watch.cc, armed again once the queue is drained). Each datagram is
 * handed on with its sender's pid and parsed text; what cannot be a notification (longer
 * than {@link NOTIFY_MESSAGE_MAX}, a NUL byte, no credentials) is counted and dropped here.
 * Descriptors passed with a datagram (SCM_RIGHTS) are closed once it has been handled.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { statSync, unlinkSync } from 'node:fs';
import { systemError } from '../errors';
import { native } from '../native';
import { binding as spawnBinding, type WatchHandle } from '../spawn/native-child';
import { NOTIFY_MESSAGE_MAX, parseNotifyMessage, type NotifyMessage } from './notify-message';

interface NotifyBinding {
  notifyBind(address: Buffer, abstract: boolean): number;
  notifyReceive(fd: number, buffer: Buffer): Int32Array | number;
  notifySend(address: Buffer, abstract: boolean, message: Buffer): number;
}
/** @internal */
export const notifyBinding = (): NotifyBinding => native<NotifyBinding>();

const EAGAIN = 11;
/** Datagrams read per turn of the event loop before yielding (a flood must not starve the loop). */
const BATCH = 64;

/** `NOTIFY_SOCKET` text to the address native/notify.cc takes. @internal */
export function socketAddress(text: string): { address: Buffer; abstract: boolean } {
  return text.startsWith('@')
    ? { address: Buffer.from(text.slice(1)), abstract: true }
    : { address: Buffer.from(text), abstract: false };
}

/** A datagram, as the supervisor gets it. */
export interface ReceivedNotification {
  readonly pid: number;
  readonly message: NotifyMessage;
}

/** A served NOTIFY_SOCKET. @internal */
export class NotifySocket {
  /** The value of `NOTIFY_SOCKET` for the children: an absolute path, or `@` and an abstract name. */
  readonly address: string;
  /** Datagrams refused before any sender check: too long, truncated, a NUL, no credentials. */
  invalid = 0;
  #fd: number;
  #watch: WatchHandle | undefined;
  #immediate: NodeJS.Immediate | undefined;
  readonly #buffer = Buffer.alloc(NOTIFY_MESSAGE_MAX);
  readonly #onMessage: (n: ReceivedNotification) => void;
  /** The socket file's inode (a path socket), so that close() removes only the file it made. */
  readonly #ino: number | undefined;

  /**
   * Binds the socket (at once: an address that cannot be bound throws here).
   * @throws a system error of `bind` (EADDRINUSE, EACCES, ENOENT...) with `path`.
   */
  constructor(address: string | undefined, onMessage: (n: ReceivedNotification) => void) {
    this.address = address ?? `@unixproc/notify/${process.pid}/${randomBytes(8).toString('hex')}`;
    this.#onMessage = onMessage;
    const { address: bytes, abstract } = socketAddress(this.address);
    const fd = notifyBinding().notifyBind(bytes, abstract);
    if (fd < 0) throw systemError(fd, 'bind', this.address);
    this.#fd = fd;
    this.#ino = abstract ? undefined : statSync(this.address).ino;
    this.#arm();
  }

  /** Stops reading, closes the socket and removes its file (if still the one it made). Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    if (this.#watch !== undefined) spawnBinding().unwatch(this.#watch);
    this.#watch = undefined;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    spawnBinding().closeFd(this.#fd);
    this.#fd = -1;
    if (this.#ino !== undefined) {
      try {
        if (statSync(this.address).ino === this.#ino) unlinkSync(this.address);
      } catch {
        // removed already
      }
    }
  }

  #arm(): void {
    const watch = spawnBinding().watchPidfd(this.#fd, () => {
      this.#watch = undefined;
      this.#drain();
    });
    if (typeof watch === 'number') throw systemError(watch, 'uv_poll_start');
    spawnBinding().refWatch(watch, false); // the children keep the loop alive, not their socket
    this.#watch = watch;
  }

  #drain(): void {
    for (let i = 0; i < BATCH; i++) {
      if (this.#fd < 0) return;
      const r = notifyBinding().notifyReceive(this.#fd, this.#buffer);
      if (typeof r === 'number') {
        // EAGAIN: drained. Anything else (ENOBUFS, ENOMEM) is transient for a datagram
        // socket: poll again rather than spin.
        if (r === -EAGAIN || r < 0) this.#arm();
        return;
      }
      const [length, pid, , , flags] = r;
      try {
        if (pid <= 0 || (flags & 1) !== 0 || length > NOTIFY_MESSAGE_MAX) {
          this.invalid++;
          continue;
        }
        const message = parseNotifyMessage(this.#buffer.subarray(0, length));
        if (message === undefined) {
          this.invalid++;
          continue;
        }
        this.#onMessage({ pid, message });
      } catch (e) {
        // A listener threw: it is uncaught, as from any emitter, but the socket reads on.
        this.#immediate = setImmediate(() => {
          this.#immediate = undefined;
          this.#drain();
        });
        throw e;
      } finally {
        // Passed fds (a barrier, FDSTORE=1...) are never kept: closed once the sender was checked.
        for (let i = 5; i < r.length; i++) spawnBinding().closeFd(r[i]);
      }
    }
    // A full batch: let the loop run, then read on.
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.#drain();
    });
    this.#immediate.unref();
  }
}
