// Helpers for the spawn tests: /proc readings of this process and of children.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** A field of /proc/<pid>/status (e.g. 'Threads', 'SigIgn'). */
export function statusField(pid: number | 'self', field: string): string {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(text);
  if (m === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return m[1];
}

/** Number of threads of this process. */
export function threadCount(): number {
  return Number(statusField('self', 'Threads'));
}

/** The open fds of this process. */
export function openFds(): number[] {
  return readdirSync('/proc/self/fd').map(Number).sort((a, b) => a - b);
}

/** Everything a stream yields, as one string. */
export async function readAll(stream: Readable | null): Promise<string> {
  if (stream === null) throw new Error('stream is not piped');
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** State letter of a process (/proc/<pid>/stat), or undefined when it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` in the turn of the event loop in which `child` has just been reaped by the
 * exit watch but its handle has not yet been told (`exited` still false): the window
 * between reaping and delivery (delivery is a setImmediate queued by the reap, behind
 * the one polling here, which is re-queued every turn). Rejects if the window was missed.
 */
export function duringReapWindow<T>(child: { readonly pid: number; readonly exited: boolean }, fn: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (existsSync(`/proc/${child.pid}`)) {
        setImmediate(poll); // running, or a zombie not reaped yet
        return;
      }
      if (child.exited) {
        reject(new Error('the reap window was missed: the handle already knew'));
        return;
      }
      try {
        resolve(fn());
      } catch (e) {
        reject(e);
      }
    };
    setImmediate(poll);
  });
}
