// Spawn helpers for the /proc integration tests: start processes that report their pids on
// stdout, wait for /proc to show a condition, and reap by exact pid (never waitpid(-1)).
import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import { native } from '../../lib/native';

interface Binding {
  waitpid(pid: number, options: number): [number, number] | number;
  setChildSubreaper(on: boolean): number;
  getChildSubreaper(): boolean | number;
}
const b = (): Binding => native<Binding>();
const WNOHANG = 1;

/** A python3 that starts fast (Debian's, not a pyenv shim) when there is one. */
export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** A spawned process and the labelled lines it printed. */
export interface Reporter {
  readonly child: ChildProcess;
  /** Resolves with the first `n` lines of stdout; rejects if stdout ends before them. */
  lines(n: number): Promise<string[]>;
  exited(): Promise<number | null>;
}

export function spawnReporter(cmd: string, args: string[], options: SpawnOptions = {}): Reporter {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'], ...options });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let buf = '';
  let ended = false;
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    buf += d;
    wake();
  });
  // The end of its stdout, not its exit: 'exit' may come before the last lines were read.
  child.stdout?.once('end', () => {
    ended = true;
    wake();
  });
  return {
    child,
    exited: () => exit,
    lines(n: number) {
      return new Promise((resolve, reject) => {
        const check = () => {
          // Complete lines only: a chunk may end in the middle of one.
          const lines = buf.split('\n').slice(0, -1).filter(Boolean);
          if (lines.length >= n) resolve(lines.slice(0, n));
          else if (ended) reject(new Error(`${cmd} closed its stdout before printing ${n} lines: ${JSON.stringify(buf)}`));
          else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Polls `cond` every 10 ms until true; throws after `ms`. */
export async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** SIGKILL by pid; a process already gone is fine. */
export function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/**
 * Reaps `pid` with waitpid(pid, WNOHANG) until it is collected. ECHILD is retried until
 * the deadline: an orphan becomes our child only once its parent has died.
 */
export async function reapPid(pid: number, ms = 5000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = b().waitpid(pid, WNOHANG);
    if (Array.isArray(r) && r[0] === pid) return r[1];
    if (Date.now() > deadline) throw new Error(`could not reap ${pid}: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/**
 * Makes this process a child subreaper; returns a function that restores what it was
 * (a test file run in-band shares the jest main process, which must stay a subreaper).
 */
export function becomeSubreaper(): () => void {
  const was = b().getChildSubreaper() === true;
  const r = b().setChildSubreaper(true);
  if (r < 0) throw new Error(`prctl(PR_SET_CHILD_SUBREAPER) errno ${-r}`);
  return () => {
    b().setChildSubreaper(was);
  };
}

/** The state letter of a pid from /proc, or undefined when gone. */
export function stateLetter(pid: number): string | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

/** The ppid of a pid from /proc, or undefined when gone. */
export function ppidOf(pid: number): number | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
