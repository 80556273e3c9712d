// `unixproc supervise` run as a real child process (lib/cli/main.ts through ts-register).
import { join } from 'node:path';
import { spawn, type Subprocess } from '../../lib/spawn';
import { becomeSubreaper } from '../helpers/proc-spawn';
import { LOADER, ROOT, readAll, reapPid, waitFor } from '../helpers/supervise-helpers';
import { decodeWaitStatus } from '../../lib/exit-status';

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
  // The subshell's sleep is orphaned at once (adopted by this subreaper, so that only this
  // process reaps it) but stays in the child's group.
  const p = cli(['--', '/bin/sh', '-c', 'trap "exit 3" TERM; (sleep 300 & echo $!); sleep 300 & wait']);
  const stderr = readAll(p.stderr);
  let out = '';
  p.stdout!.setEncoding('utf8');
  p.stdout!.on('data', (d: string) => (out += d));
  await waitFor('the sleep pid on stdout', () => out.includes('\n'));
  const sleep = Number(out.trim());
  expect(p.kill('SIGTERM')).toBe(true);
  const status = await p.wait();
  expect(status).toEqual({ kind: 'exited', code: 3 });
  expect(await stderr).toMatch(/SIGTERM: stopping/);
  // The grandchild got the stop signal with its group; adopted here, reaped by pid.
  expect(decodeWaitStatus(await reapPid(sleep))).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
});

test('exits 1 with the error when the command cannot be started', async () => {
  const r = await run(['--', '/nonexistent/cmd']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/execve ENOENT '\/nonexistent\/cmd'/);
});

test.each([
  [['--', ], /no command/],
  [['--restart', 'sometimes', '--', 'true'], /--restart must be/],
  [['--stop-timeout', '-5', '--', 'true'], /--stop-timeout must be a non-negative integer/],
  [['--stop-signal', 'SIGNOPE', '--', 'true'], /unknown signal/],
  [['true'], /unexpected argument 'true'/],
])('a usage error exits 2: %j', async (args, message) => {
  const r = await run(args as string[]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
});
