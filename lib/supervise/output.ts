/**
 * A supervised service's output (`stdio: 'pipe'`, docs/supervise.md "Output"): one Readable
 * per stream that lives as long as the supervisor and carries each run's pipe in turn, in
 * order, with the consumer's backpressure passed on to the run that writes, and an optional
 * line mode with a prefix.
 *
 * Each run's pipe is a source; sources are read one at a time, oldest first, so a run's
 * output never interleaves with the next run's. A source ends at its EOF (every process
 * that held the pipe's write end is gone). One that a process outside the service still
 * holds after its run ended and its tree was emptied (possible only with `contain: false`,
 * a grandchild that left the group) is read without backpressure for a bounded time and then
 * closed ({@link JoinedOutput.settle}): it may not hold the next runs' output back.
 * @internal
 */
import { Readable } from 'node:stream';

/** A line longer than this many bytes is cut (each piece a line of its own), as journald's LineMax does. */
export const LINE_MAX = 65536;

/** The validated `output` option. @internal */
export interface OutputSpec {
  /** Whole lines only, each after `prefix`; a run's unterminated last line ends with a newline. */
  readonly lines: boolean;
  readonly prefix: Buffer;
}

const NEWLINE = Buffer.from('\n');

/** Cuts a byte stream into prefixed lines. */
class LineSplitter {
  readonly #prefix: Buffer;
  /** The start of a line whose newline has not come yet. */
  #rest: Buffer[] = [];
  #restLength = 0;

  constructor(prefix: Buffer) {
    this.#prefix = prefix;
  }

  /** The whole lines `chunk` completes, prefixed (possibly empty). */
  feed(chunk: Buffer): Buffer {
    // One allocation for every whole line of the chunk (a log line is often 40 bytes: a
    // subarray and a concat part per line cost more than the copy).
    const prefix = this.#prefix;
    let lines = 0;
    let last = -1;
    let longest = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, nl + 1)) {
      longest = Math.max(longest, nl - last - 1 + (lines === 0 ? this.#restLength : 0));
      lines++;
      last = nl;
    }
    if (longest > LINE_MAX) return this.#feedCutting(chunk);
    let whole = EMPTY;
    if (lines > 0) {
      whole = Buffer.allocUnsafe(this.#restLength + last + 1 + lines * prefix.length);
      let o = 0;
      let start = 0;
      for (let nl = chunk.indexOf(10); nl >= 0 && nl <= last; nl = chunk.indexOf(10, nl + 1)) {
        o += prefix.copy(whole, o);
        if (this.#restLength > 0) {
          for (const r of this.#rest) o += r.copy(whole, o);
          this.#rest = [];
          this.#restLength = 0;
        }
        o += chunk.copy(whole, o, start, nl + 1);
        start = nl + 1;
      }
    }
    let tail = chunk.subarray(last + 1);
    const parts: Buffer[] = [];
    while (this.#restLength + tail.length >= LINE_MAX) {
      const take = LINE_MAX - this.#restLength;
      parts.push(prefix, ...this.#rest, tail.subarray(0, take), NEWLINE);
      this.#rest = [];
      this.#restLength = 0;
      tail = tail.subarray(take);
    }
    if (tail.length > 0) {
      this.#rest.push(tail);
      this.#restLength += tail.length;
    }
    return parts.length === 0 ? whole : Buffer.concat([whole, ...parts]);
  }

  /** {@link feed} for a chunk that completes a line longer than LINE_MAX: cut as it is copied. */
  #feedCutting(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); ; nl = chunk.indexOf(10, start)) {
      let segment = chunk.subarray(start, nl < 0 ? chunk.length : nl);
      // A completed line may be LINE_MAX bytes; an open one is cut once it reaches that.
      while (this.#restLength + segment.length > LINE_MAX || (nl < 0 && this.#restLength + segment.length === LINE_MAX)) {
        const take = LINE_MAX - this.#restLength;
        parts.push(this.#prefix, ...this.#rest, segment.subarray(0, take), NEWLINE);
        this.#rest = [];
        this.#restLength = 0;
        segment = segment.subarray(take);
      }
      if (nl < 0) {
        if (segment.length > 0) {
          this.#rest.push(segment);
          this.#restLength += segment.length;
        }
        return Buffer.concat(parts);
      }
      parts.push(this.#prefix, ...this.#rest, segment, NEWLINE);
      this.#rest = [];
      this.#restLength = 0;
      start = nl + 1;
    }
  }

  /** The unterminated last line, prefixed and ended with a newline (or nothing). */
  end(): Buffer {
    if (this.#restLength === 0) return EMPTY;
    const out = Buffer.concat([this.#prefix, ...this.#rest, NEWLINE]);
    this.#rest = [];
    this.#restLength = 0;
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

/** One run's pipe, joined onto the stream. */
export interface OutputSource {
  readonly socket: Readable;
  readonly lines: LineSplitter | undefined;
  /** Resolves once the source has ended (EOF, error, or closed by settle()). */
  readonly done: Promise<void>;
  /** Set by settle(): read without backpressure, closed after `settleMs`. */
  settleMs: number;
  ended: boolean;
  active: boolean;
  timer: NodeJS.Timeout | undefined;
  finish(): void;
  /** See {@link JoinedOutput.settle}. */
  settle(ms: number): void;
}

/** The stream of one of a service's standard streams, across its runs. @internal */
export class JoinedOutput {
  /** The stream users read (`sup.stdout`, `sup.stderr`). */
  readonly stream: Readable;
  readonly #spec: OutputSpec;
  /** Sources not ended yet, oldest first: the first is the one being read. */
  #sources: OutputSource[] = [];
  #closed = false;

  constructor(spec: OutputSpec) {
    this.#spec = spec;
    this.stream = new Readable({
      read: () => {
        const head = this.#sources[0];
        if (head !== undefined && head.active && !head.ended) head.socket.resume();
      },
    });
    // A consumer that destroyed the stream reads no more: what the runs write is dropped
    // from now on, never left to fill the pipe and block the service.
    this.stream.once('close', () => {
      for (const s of this.#sources) if (s.active) s.socket.resume();
    });
  }

  /** Joins a run's pipe on after the earlier ones. */
  attach(socket: Readable): OutputSource {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const source: OutputSource = {
      socket,
      lines: this.#spec.lines ? new LineSplitter(this.#spec.prefix) : undefined,
      done,
      settleMs: -1,
      ended: false,
      active: false,
      timer: undefined,
      finish: () => this.#finish(source, resolve),
      settle: (ms) => this.settle(source, ms),
    };
    // Until it is read (after the earlier runs' pipes), an error ends it at activation.
    socket.on('error', () => undefined);
    this.#sources.push(source);
    if (this.#sources.length === 1) this.#activate(source);
    return source;
  }

  /**
   * The source's run is over and its tree is gone: read what is left without backpressure
   * (only what the kernel holds in the pipe, unless a process outside the tree still writes),
   * and close it after `ms` if it has not ended by then.
   */
  settle(source: OutputSource, ms: number): void {
    if (source.ended || source.settleMs >= 0) return;
    source.settleMs = ms;
    if (source.active) this.#startSettling(source);
  }

  /** No more sources: the stream ends once the last one has. */
  close(): void {
    this.#closed = true;
    if (this.#sources.length === 0) this.stream.push(null);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  #activate(source: OutputSource): void {
    source.active = true;
    const socket = source.socket;
    socket.on('data', (chunk: Buffer) => this.#onData(source, chunk));
    socket.once('end', source.finish);
    socket.once('close', source.finish);
    socket.on('error', source.finish); // EIO and the like: the pipe is over
    if (socket.destroyed) source.finish();
    else if (source.settleMs >= 0) this.#startSettling(source);
  }

  #startSettling(source: OutputSource): void {
    source.socket.resume();
    source.timer = setTimeout(() => {
      source.timer = undefined;
      source.socket.destroy(); // 'close' finishes it
    }, source.settleMs);
  }

  #onData(source: OutputSource, chunk: Buffer): void {
    if (this.stream.destroyed) return; // nobody reads: dropped
    const out = source.lines === undefined ? chunk : source.lines.feed(chunk);
    if (out.length === 0) return;
    if (!this.stream.push(out) && source.settleMs < 0) source.socket.pause();
  }

  #finish(source: OutputSource, resolve: () => void): void {
    if (source.ended) return;
    source.ended = true;
    clearTimeout(source.timer);
    source.timer = undefined;
    const tail = source.lines?.end() ?? EMPTY;
    if (tail.length > 0 && !this.stream.destroyed) this.stream.push(tail);
    source.socket.removeAllListeners('data');
    source.socket.destroy();
    const i = this.#sources.indexOf(source);
    if (i >= 0) this.#sources.splice(i, 1);
    resolve();
    const next = this.#sources[0];
    if (next !== undefined && !next.active) this.#activate(next);
    else if (next === undefined && this.#closed) this.stream.push(null);
  }
}

/**
 * Resolves once every source has ended, or after `ms` (whichever comes first).
 * @internal
 */
export function endedWithin(sources: readonly OutputSource[], ms: number): Promise<void> {
  if (sources.every((s) => s.ended)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void Promise.all(sources.map((s) => s.done)).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
