/**
 * The bin's stdout and stderr. On a pipe or a file they are written with write(2) directly
 * (writeSync), the way Node's own stream writes them there (synchronously, on Linux), but
 * without building `process.stdout`: the first use of that getter loads Node's net and
 * stream stack, ~6 ms of every `unixproc ps | ...` (issue 14, item 4). A terminal, a socket
 * or anything else gets Node's stream (top needs its size and its 'resize' events).
 *
 * The behaviour is the stream's: a reader that has gone away (EPIPE: `unixproc ps | head`)
 * stops the writing quietly and keeps the command's exit status; any other error makes it 1
 * and is said on stderr; a non-blocking descriptor that would block (EAGAIN) hands the
 * rest, and every later write, to Node's stream, which waits for it, so the order holds.
 * @internal
 */
import { fstatSync, writeSync } from 'node:fs';

/** What a command writes to. */
export interface Writer {
  write(s: string): boolean;
}

function attachErrorHandler(stream: NodeJS.WriteStream, fd: number): NodeJS.WriteStream {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    process.exitCode = 1;
    if (fd === 1) process.stderr.write(`unixproc: stdout: ${e.message}\n`);
  });
  return stream;
}

const streamOf = (fd: 1 | 2): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);

/** A writer of fd 1 or 2 that uses write(2) while it can (a pipe, a file), Node's stream otherwise. */
class SyncWriter implements Writer {
  private stream: NodeJS.WriteStream | undefined;
  private gone = false;

  constructor(private readonly fd: 1 | 2) {}

  write(s: string): boolean {
    if (this.stream !== undefined) return this.stream.write(s);
    if (this.gone) return false;
    const buf = Buffer.from(s, 'utf8');
    let at = 0;
    while (at < buf.length) {
      try {
        at += writeSync(this.fd, buf, at, buf.length - at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          this.stream = attachErrorHandler(streamOf(this.fd), this.fd);
          return this.stream.write(buf.subarray(at));
        }
        this.gone = true;
        if (code !== 'EPIPE') {
          process.exitCode = 1;
          if (this.fd === 1) stderrWriter().write(`unixproc: stdout: ${(e as Error).message}\n`);
        }
        return false;
      }
    }
    return true;
  }
}

function onPipeOrFile(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isFile();
  } catch {
    return false;
  }
}

let writers: [Writer | undefined, Writer | undefined] = [undefined, undefined];

function writerOf(fd: 1 | 2): Writer {
  let w = writers[fd - 1];
  if (w === undefined) {
    w = onPipeOrFile(fd) ? new SyncWriter(fd) : attachErrorHandler(streamOf(fd), fd);
    writers[fd - 1] = w;
  }
  return w;
}

/** The bin's stdout: process.stdout itself on a terminal (with its columns), a write(2) writer on a pipe or file. */
export function stdoutWriter(): Writer {
  return writerOf(1);
}

/** The bin's stderr, chosen as {@link stdoutWriter} chooses. */
export function stderrWriter(): Writer {
  return writerOf(2);
}

/** Forgets the writers chosen (tests, which swap the descriptors). */
export function resetWriters(): void {
  writers = [undefined, undefined];
}
