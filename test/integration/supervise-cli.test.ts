// `unixproc supervise` run as a real child process (lib/cli/main.ts through ts-register).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type Subprocess } from '../../lib/spawn';
import { becomeSubreaper } from '../helpers/proc-spawn';
import { LOADER, ROOT, listenersAtSpawn, readAll, reapIfAdopted, reapPid, waitFor } from '../helpers/supervise-helpers';
import { decodeWaitStatus } from '../../lib/exit-status';
import { runCli } from '../helpers/cli-run';

const MAIN = join(ROOT, 'lib', 'cli', 'main.ts');

let restore: () => void;
beforeAll(() => {
  restore = becomeSubreaper();
});
afterAll(() => restore());

function cli(args: string[]): Subprocess {
  return spawn(process.execPath, ['-r', LOADER, MAIN, 'supervise', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function run(args: string[]): Promise<{ code: number | undefined; stderr: string }> {
  const p = cli(args);
  const [, stderr, status] = await Promise.all([readAll(p.stdout), readAll(p.stderr), p.wait()]);
  return { code: status.kind === 'exited' ? status.code : undefined, stderr };
}

test("exits with the child's exit code when the policy does not restart it", async () => {
  const r = await run(['--restart', 'never', '--', '/bin/sh', '-c', 'exit 7']);
  expect(r.code).toBe(7);
  expect(r.stderr).toMatch(/exited with code 7/);
});

test('logs each restart with its delay and exits 1 when the start limit is reached', async () => {
  const r = await run(['--backoff', '20', '--max-restarts', '2', '--window', '60000', '--', '/bin/sh', '-c', 'exit 3']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/restart 1 in 20 ms/);
  expect(r.stderr).toMatch(/restart 2 in 40 ms/);
  expect(r.stderr).toMatch(/giving up: start limit reached \(2 restarts\)/);
});

test('SIGTERM stops the child group gracefully and exits with the child\'s code', async () => {
  // Two sleeps in the child's group: one orphaned at once by its subshell (adopted by this
  // subreaper), one the shell's own child, which the shell may or may not reap before its
  // trap exits; if not, it is adopted here too. Each is reaped here by pid.
  const p = cli(['--', '/bin/sh', '-c', 'trap "exit 3" TERM; (sleep 300 & echo $!); sleep 300 & echo $!; wait']);
  const stderr = readAll(p.stderr);
  let out = '';
  p.stdout!.setEncoding('utf8');
  p.stdout!.on('data', (d: string) => (out += d));
  // A node start that transpiles the CLI's sources: seconds on a loaded machine.
  await waitFor('the sleep pids on stdout', () => out.split('\n').length > 2, 30000);
  const sleeps = out.trim().split('\n').map(Number);
  // $! is printed right after the fork, before the child execs sleep: until then it is a
  // copy of the shell with its TERM trap, which would take the group's SIGTERM and exec
  // sleep anyway (which the cleanup's SIGKILL then ends: a CI failure, on a loaded machine).
  const comm = (pid: number): string => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  await waitFor('both sleeps exec\'d', () => sleeps.every((pid) => comm(pid) === 'sleep'), 30000);
  expect(p.kill('SIGTERM')).toBe(true);
  const status = await p.wait();
  expect(status).toEqual({ kind: 'exited', code: 3 });
  expect(await stderr).toMatch(/SIGTERM: terminating/);
  // The grandchildren got the stop signal with their group.
  expect(decodeWaitStatus(await reapPid(sleeps[0]))).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
  const second = await reapIfAdopted(sleeps[1]);
  if (second !== undefined) expect(second).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
});

test('the CLI listens for SIGTERM and SIGINT before the child starts: a signal during the start stops the child instead of killing the CLI', async () => {
  // Deterministic: what listens at the moment of the spawn, seen from the spawn hook point.
  // Before the fix the CLI's listeners came only after supervise() had returned (on a loaded
  // machine, a SIGTERM in that gap killed the CLI and left the child's tree to its subreaper).
  const seen = await listenersAtSpawn(async () => {
    const r = await runCli(['supervise', '--restart', 'never', '--', '/bin/sh', '-c', 'exit 0']);
    expect(r.code).toBe(0);
  });
  expect(seen.atSpawn.length).toBeGreaterThan(0);
  expect(seen.atSpawn[seen.atSpawn.length - 1]).toEqual({ SIGTERM: seen.before.SIGTERM + 1, SIGINT: seen.before.SIGINT + 1 });
  expect(seen.after).toEqual(seen.before); // none is left once it is done
});

test('a SIGTERM from the child at once (the supervisor just started) stops it gracefully, with its code', async () => {
  const cliPid = 'p=$PPID; case "$(cat /proc/$p/comm)" in unixproc-*) p=$(cut -d" " -f4 /proc/$p/stat);; esac';
  // The sleep first, so that it is in the group when the group's SIGTERM comes (started
  // after it, it would be ended by the cgroup's SIGKILL instead: a race of the test's own).
  const p = cli(['--', '/bin/sh', '-c', `trap "exit 3" TERM; sleep 300 & echo $!; ${cliPid}; kill -TERM $p; wait`]);
  const [out, stderr, status] = await Promise.all([readAll(p.stdout), readAll(p.stderr), p.wait()]);
  expect(status).toEqual({ kind: 'exited', code: 3 });
  expect(stderr).toMatch(/SIGTERM: terminating/);
  const sleep = Number(out.trim());
  expect(sleep).toBeGreaterThan(0);
  const reaped = await reapIfAdopted(sleep);
  if (reaped !== undefined) expect(reaped).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
});

test('exits 1 with the error when the command cannot be started', async () => {
  const r = await run(['--', '/nonexistent/cmd']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/execve ENOENT '\/nonexistent\/cmd'/);
});

test.each([
  [['--', ], /no command/],
  [['--restart', 'sometimes', '--', 'true'], /--restart must be/],
  [['--kill-grace-period', '-5', '--', 'true'], /--kill-grace-period must be a non-negative integer/],
  [['--kill-signal', 'SIGNOPE', '--', 'true'], /unknown signal/],
  [['--kill-signal', '65', '--', 'true'], /unknown signal '65'/],
  [['--stop-signal', 'TERM', '--', 'true'], /--stop-signal was renamed --kill-signal/],
  [['--stop-timeout', '100', '--', 'true'], /--stop-timeout was renamed --kill-grace-period/],
  [['true'], /unexpected argument 'true'/],
])('a usage error exits 2: %j', async (args, message) => {
  const r = await run(args as string[]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
});
