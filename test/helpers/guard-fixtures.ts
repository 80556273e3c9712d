// Commands that leave processes behind, for the leak-guard tests, and a runner for the
// `unixproc guard` CLI as a real child process. Each fixture prints the pids it left on its
// stdout, so a test can assert on them and clean up by pid.
import { spawn as cpSpawn } from 'node:child_process';
import * as path from 'node:path';
import { isSameProcess } from '../../lib/proc/identity';
import { killPid, PYTHON, reapPid } from './proc-spawn';

export { PYTHON };

const ROOT = path.join(__dirname, '..', '..');

/**
 * Shell code that returns once process `$p` has exec'd `comm` (until then its cmdline is
 * the shell's) and sleeps in it (state S: just after the exec it is still starting up,
 * state R, and a report read then shows R). Conditions read from /proc, not delays.
 */
export function untilSleepingIn(comm: string): string {
  return (
    `while read c </proc/$p/comm && [ "$c" != ${comm} ]; do :; done; ` +
    'while read s </proc/$p/stat && s=${s##*) } && [ "${s%% *}" != S ]; do :; done'
  );
}

/** `sh -c` that leaves `sleep 300` running in the background (stdio away from our pipes, so
 * a pipe reader is not held open by it) and prints its pid once it sleeps. */
export const BACKGROUND_SLEEP = ['sh', '-c', `sleep 300 </dev/null >/dev/null 2>&1 & p=$!; ${untilSleepingIn('sleep')}; echo $p`];

/**
 * Leaves a zombie: a holder process (orphaned, so adopted by the guard) whose child has
 * exited and which never waits for it. Prints "<holderPid> <zombiePid>" once the child is
 * a zombie and the holder sleeps (state S; right after telling its pids it is still running
 * towards its sleep): both read from /proc, conditions, not delays. The holder's stdio is
 * /dev/null.
 */
export const ZOMBIE_HOLDER = [
  PYTHON,
  '-c',
  `
import os, sys, time
r, w = os.pipe()
if os.fork() == 0:
    os.close(r)
    fd = os.open('/dev/null', os.O_RDWR)
    for i in (0, 1, 2):
        os.dup2(fd, i)
    z = os.fork()
    if z == 0:
        os._exit(0)
    def state(pid):
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    while state(z) != 'Z':
        time.sleep(0.005)
    os.write(w, ('%d %d\\n' % (os.getpid(), z)).encode())
    os.close(w)
    time.sleep(300)
    os._exit(0)
os.close(w)
pids = os.read(r, 100).decode().strip()
holder = int(pids.split()[0])
while open('/proc/%d/stat' % holder).read().rsplit(')', 1)[1].split()[0] != 'S':
    pass
print(pids, flush=True)
`,
];

/**
 * A daemon the classic way: fork, setsid, fork again, the middle process exits (and is
 * reaped), stdio to /dev/null, exec `sleep 300`. Prints the daemon's pid once it sleeps in
 * sleep.
 */
export const DOUBLE_FORK_DAEMON = [
  PYTHON,
  '-c',
  `
import os
r, w = os.pipe()
middle = os.fork()
if middle == 0:
    os.setsid()
    if os.fork() == 0:
        os.close(r)
        os.write(w, ('%d\\n' % os.getpid()).encode())
        os.close(w)
        fd = os.open('/dev/null', os.O_RDWR)
        for i in (0, 1, 2):
            os.dup2(fd, i)
        os.execvp('sleep', ['sleep', '300'])
    os._exit(0)
os.close(w)
os.waitpid(middle, 0)
daemon = int(os.read(r, 100).decode())
# Until it has exec'd, its cmdline is python's, and just after, it is still starting up
# (state R, not S): wait for the exec and the sleep (conditions, not delays).
while open('/proc/%d/comm' % daemon).read() != 'sleep\\n':
    pass
while open('/proc/%d/stat' % daemon).read().rsplit(')', 1)[1].split()[0] != 'S':
    pass
print(daemon, flush=True)
`,
];

/**
 * Leaves a process whose main thread has exited (pthread_exit) while another thread runs:
 * /proc shows its leader as a zombie ('Z') although the process is alive (num_threads 2),
 * and wait(2) cannot reap it yet. Orphaned (adopted by the guard), stdio /dev/null. Prints
 * its pid once its leader shows 'Z' (read from /proc: a condition, not a delay).
 */
export const LEADER_EXITED = [
  PYTHON,
  '-c',
  `
import ctypes, os, threading, time
r, w = os.pipe()
if os.fork() == 0:
    os.close(r)
    fd = os.open('/dev/null', os.O_RDWR)
    for i in (0, 1, 2):
        os.dup2(fd, i)
    def live_on():
        while open('/proc/self/stat').read().rsplit(')', 1)[1].split()[0] != 'Z':
            time.sleep(0.005)
        os.write(w, ('%d\\n' % os.getpid()).encode())
        os.close(w)
        time.sleep(300)
    threading.Thread(target=live_on).start()
    ctypes.CDLL(None).pthread_exit(None)
os.close(w)
print(os.read(r, 100).decode().strip(), flush=True)
`,
];

/** What a run of the CLI produced. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `unixproc guard <args>` from the TypeScript sources as a real child process and
 * resolves when it has exited (child_process reaps it). `onStdout` sees output as it comes.
 * With `killAfterMs`, a guard still running then is SIGKILLed (the run shows the signal).
 */
export function runGuardCli(
  args: readonly string[],
  onStdout?: (text: string, pid: number) => void,
  killAfterMs?: number,
  env?: NodeJS.ProcessEnv,
): Promise<CliRun> {
  const child = cpSpawn(process.execPath, ['-r', './test/helpers/ts-register.js', 'lib/cli/main.ts', 'guard', ...args], {
    cwd: ROOT,
    env: env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    onStdout?.(stdout, child.pid as number);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const ended = (stream: NodeJS.ReadableStream): Promise<void> => new Promise((resolve) => stream.once('close', resolve));
  const streams = Promise.all([ended(child.stdout), ended(child.stderr)]);
  const watchdog = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(watchdog);
      // Its output is complete once the pipes close; a leftover that kept them open (a
      // guard that failed) must fail the test, not hang it: give up on them after 3 s.
      const giveUp = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 3000);
      void streams.then(() => {
        clearTimeout(giveUp);
        resolve({ code, signal, stdout, stderr });
      });
    });
  });
}

/**
 * The JSON report a `--json` run printed: all of its stdout, one line (the command's own
 * stdout went to stderr), so that it can be piped.
 */
export function jsonOf(run: CliRun): GuardJson {
  if (!run.stdout.endsWith('\n') || run.stdout.indexOf('\n') !== run.stdout.length - 1) {
    throw new Error(`--json stdout is not one line: ${JSON.stringify(run.stdout.slice(0, 500))}`);
  }
  return JSON.parse(run.stdout) as GuardJson;
}

/** The shape of `unixproc guard --json` output (the parts the tests read). */
export interface GuardJson {
  readonly command: string[];
  readonly status: { kind: string; code?: number; signal?: string };
  readonly report: JsonReport;
  readonly cleanup: { signaled: { pid: number; signal: string }[]; reaped: { pid: number }[]; remaining: JsonReport } | null;
}
interface JsonProcess {
  pid: number;
  startTime: number;
  ppid: number;
  state: { letter: string; name: string; meaning: string };
  comm: string;
  cmdline: string[];
  relation: string;
  parent: { pid: number; comm: string; state: { letter: string; name: string; meaning: string }; isGuard: boolean } | null;
}
interface JsonReport {
  ok: boolean;
  guardPid: number;
  leaked: JsonProcess[];
  zombies: JsonProcess[];
}

/** A Node child's exit code, and its stdout and stderr together as they came. */
export interface NodeRun {
  readonly code: number | null;
  readonly output: string;
}

/**
 * Runs `node ...args` in `cwd` with this environment, colour off, plus `env`, and resolves
 * when it has closed (its stdio too): a runner (Jest, Vitest, node --test) on a fixture.
 */
export function runNode(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<NodeRun> {
  const child = cpSpawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...env } });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** A process a fixture reported it left, by identity. */
export interface Leftover {
  readonly pid: number;
  readonly startTime: number;
}

/**
 * The processes fixtures report they left (the guard under test should have ended them):
 * at the end, each that is still itself (same pid and start time) is killed and reaped by
 * this process, which must be their subreaper by then.
 */
export class Leftovers {
  readonly #all: Leftover[] = [];

  add<T extends Leftover>(l: T): T {
    this.#all.push(l);
    return l;
  }

  async endAll(): Promise<void> {
    for (const l of this.#all.splice(0)) {
      if (isSameProcess(l)) {
        killPid(l.pid);
        await reapPid(l.pid);
      }
    }
  }
}
