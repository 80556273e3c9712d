// Helpers for the supervise and daemonize tests: process groups read from /proc, a
// supervisor run in a separate node process, and reaping adopted processes by pid.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWaitStatus, type ExitStatus } from '../../lib/exit-status';
import { spawn, type Subprocess } from '../../lib/spawn';
import { supervise, type Supervisor, type SupervisorOptions } from '../../lib/supervise';
import { setSpawnProvenanceHook } from '../../lib/provenance-hook';
import { readAll } from './spawn-helpers';
import { reapPid, waitFor } from './proc-spawn';

export const ROOT = join(__dirname, '..', '..');
export const LOADER = join(ROOT, 'test', 'helpers', 'ts-register.js');
export const SUPERVISE_LIB = join(ROOT, 'lib', 'supervise', 'index.ts');

/** Fields of /proc/<pid>/stat after the comm (index 0 = state, 1 = ppid, 2 = pgrp, 3 = session, 4 = tty_nr, 19 = starttime: field n is index n - 3). */
export function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Every process (zombies included) whose process group is `pgid`, with its state letter. */
export function groupOf(pgid: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f !== undefined && Number(f[2]) === pgid) out.push({ pid: Number(name), state: f[0] });
  }
  return out;
}

/** The members of `pgid` that are not zombies. */
export function liveMembers(pgid: number): number[] {
  return groupOf(pgid)
    .filter((p) => p.state !== 'Z' && p.state !== 'X')
    .map((p) => p.pid);
}

/** Reaps each pid (adopted by this subreaper, or about to be) and returns the decoded statuses. */
export async function reapAll(pids: readonly number[]): Promise<Map<number, ExitStatus>> {
  const out = new Map<number, ExitStatus>();
  for (const pid of pids) out.set(pid, decodeWaitStatus(await reapPid(pid)));
  return out;
}

/**
 * Reaps `pid` once it is ours (adopted by this subreaper); undefined when it was reaped
 * elsewhere meanwhile (its parent reaped it before dying: /proc no longer has it).
 */
export async function reapIfAdopted(pid: number): Promise<ExitStatus | undefined> {
  for (;;) {
    const gone = statFields(pid) === undefined;
    try {
      return decodeWaitStatus(await reapPid(pid, 50));
    } catch {
      if (gone) return undefined;
    }
  }
}

/** A shell command line that starts `n` background sleeps in its group and waits. */
export function shellWithSleeps(n: number, prelude = ''): string {
  return `${prelude}${' sleep 300 &'.repeat(n)} wait`;
}

/** Waits until group `pgid` has `n` live members and one of them is stopped (the keeper). */
export async function untilGroupReady(pgid: number, n: number): Promise<void> {
  await waitFor(`group ${pgid} with ${n} live members and a stopped keeper`, () => {
    const g = groupOf(pgid).filter((p) => p.state !== 'Z');
    return g.length === n && g.some((p) => p.state === 'T');
  });
}

/**
 * Runs `body` (CommonJS; `supervise` and friends in scope) in a new node process, by
 * default in its own session (setsid), so that this process, its subreaper, is outside the
 * supervisor's session. Its stdin is a pipe from here. `body` must print one line of JSON
 * on stdout; resolves with it and the handle.
 */
export async function supervisorProcess(
  body: string,
  setsid = true,
): Promise<{ proc: Subprocess; report: Record<string, number> }> {
  const script = `const { supervise, daemonize } = require(${JSON.stringify(SUPERVISE_LIB)});\n${body}`;
  const proc = spawn(process.execPath, ['-r', LOADER, '-e', script], { setsid, stdio: ['pipe', 'pipe', 'ignore'] });
  const report = await firstLine(proc);
  return { proc, report };
}

async function firstLine(proc: Subprocess): Promise<Record<string, number>> {
  const stream = proc.stdout;
  if (stream === null) throw new Error('stdout is not piped');
  let buf = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) {
    buf += chunk as string;
    const nl = buf.indexOf('\n');
    if (nl >= 0) return JSON.parse(buf.slice(0, nl)) as Record<string, number>; // closes our end
  }
  throw new Error(`the supervisor process printed no line: ${JSON.stringify(buf)}`);
}

export { readAll, reapPid, waitFor };

/**
 * supervise() in its process-group mode (`contain: false`): what the group tests specify
 * (a stopped keeper holding the group id, signals by group, the hang-up of an orphaned
 * group). Containment, the default, is specified in contain-supervise.test.ts.
 */
export function superviseGroup(file: string, args?: readonly string[], options?: SupervisorOptions): Supervisor {
  return supervise(file, args, { ...options, contain: false });
}

/** SIGTERM and SIGINT listener counts. */
export interface SignalListeners {
  readonly SIGTERM: number;
  readonly SIGINT: number;
}

const signalListeners = (): SignalListeners => ({ SIGTERM: process.listenerCount('SIGTERM'), SIGINT: process.listenerCount('SIGINT') });

/**
 * Runs `body` and tells how many SIGTERM/SIGINT listeners this process had before it, at
 * each spawn it made (seen from the spawn hook point, lib/provenance-hook.ts), and after.
 */
export async function listenersAtSpawn(body: () => Promise<void>): Promise<{ before: SignalListeners; atSpawn: SignalListeners[]; after: SignalListeners }> {
  const before = signalListeners();
  const atSpawn: SignalListeners[] = [];
  setSpawnProvenanceHook({
    begin: () => {
      atSpawn.push(signalListeners());
      return undefined;
    },
  });
  try {
    await body();
  } finally {
    setSpawnProvenanceHook(undefined);
  }
  return { before, atSpawn, after: signalListeners() };
}
