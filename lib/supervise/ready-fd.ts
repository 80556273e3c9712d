/**
 * `ready: { fd: n }`, s6's notification-fd (s6-supervise(8)): each child gets the write end
 * of a fresh pipe as fd n; it is ready once it has written a newline there (what comes
 * before the newline is ignored; end of file without one is "never"). The read end is
 * non-blocking and read from the event loop (a one-shot readable watch, armed again until
 * the newline), then closed.
 * @internal
 */
import { systemError } from '../errors';
import { native } from '../native';
import { binding as spawnBinding, type WatchHandle } from '../spawn/native-child';

interface PipeBinding {
  pipe2(flags: number): [number, number] | number;
  readInto(fd: number, buffer: Buffer): number;
}

const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const EAGAIN = 11;

/** The pipe of one start. @internal */
export class ReadyFdPipe {
  readonly target: number;
  #read: number;
  #write: number;
  #watch: WatchHandle | undefined;
  readonly #buffer = Buffer.alloc(512);

  /** @throws a system error of `pipe2` (EMFILE...). */
  constructor(target: number) {
    this.target = target;
    const r = native<PipeBinding>().pipe2(O_CLOEXEC | O_NONBLOCK);
    if (typeof r === 'number') throw systemError(r, 'pipe2');
    [this.#read, this.#write] = r;
  }

  /** What spawnPassingFd needs: the write end, as fd `target`. */
  get passed(): { fd: number; target: number } {
    return { fd: this.#write, target: this.target };
  }

  /** Once the child has it: closes this process's write end, and calls `onReady` at the first newline. */
  start(onReady: () => void): void {
    this.#closeWrite();
    this.#arm(onReady);
  }

  #arm(onReady: () => void): void {
    if (this.#read < 0) return;
    const watch = spawnBinding().watchPidfd(this.#read, () => {
      this.#watch = undefined;
      this.#readSome(onReady);
    });
    if (typeof watch === 'number') throw systemError(watch, 'uv_poll_start');
    spawnBinding().refWatch(watch, false);
    this.#watch = watch;
  }

  #readSome(onReady: () => void): void {
    for (;;) {
      if (this.#read < 0) return;
      const n = native<PipeBinding>().readInto(this.#read, this.#buffer);
      if (n === -EAGAIN) {
        this.#arm(onReady);
        return;
      }
      if (n <= 0) {
        this.close(); // end of file (or an error) without a newline: never ready this way
        return;
      }
      if (this.#buffer.subarray(0, n).includes(0x0a)) {
        this.close();
        onReady();
        return;
      }
    }
  }

  #closeWrite(): void {
    if (this.#write >= 0) spawnBinding().closeFd(this.#write);
    this.#write = -1;
  }

  /** Closes both ends (idempotent). */
  close(): void {
    if (this.#watch !== undefined) spawnBinding().unwatch(this.#watch);
    this.#watch = undefined;
    this.#closeWrite();
    if (this.#read >= 0) spawnBinding().closeFd(this.#read);
    this.#read = -1;
  }
}
