// Runs a script in a new pid namespace (`unshare -fp --mount-proc`), where it is pid 1 and
// the only process: it may write /proc/sys/kernel/ns_last_pid to choose the next pid, and no
// other process on the machine can take that pid first. Needs CAP_SYS_ADMIN (root here);
// `canUnshare` says whether it works, for the tests to skip (saying so) where it does not.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const LOADER = join(__dirname, 'ts-register.js');

function probe(): boolean {
  const r = spawnSync('unshare', ['-fp', '--mount-proc', 'sh', '-c', 'echo $$ > /proc/sys/kernel/ns_last_pid && echo $$'], {
    encoding: 'utf8',
  });
  return r.status === 0 && r.stdout.trim() === '1';
}

/** Whether a pid namespace with a writable ns_last_pid can be made here. */
export const canUnshare = probe();

/**
 * Runs `node -r ts-register <script> ...args` as pid 1 of a new pid namespace and returns
 * the JSON its last stdout line holds. When pid 1 exits the kernel kills everything left in
 * the namespace, and pid 1 reaps it: nothing outlives the call.
 */
export function runInPidNamespace<T>(script: string, args: readonly string[]): T {
  const r = spawnSync('unshare', ['-fp', '--mount-proc', process.execPath, '-r', LOADER, script, ...args], {
    encoding: 'utf8',
    timeout: 30000,
    killSignal: 'SIGKILL',
  });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')}: status ${r.status} signal ${r.signal}\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (last === '') throw new Error(`${script} ${args.join(' ')} printed no result: the event loop ended first\n${r.stderr}`);
  return JSON.parse(last) as T;
}

/** Makes the kernel give `pid` to the next process of this pid namespace. */
export const NS_LAST_PID = '/proc/sys/kernel/ns_last_pid';
