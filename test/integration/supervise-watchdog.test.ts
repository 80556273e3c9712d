// The watchdog (issue 11, systemd's WatchdogSec): from readiness on, WATCHDOG=1 at least
// every `watchdog` ms, else the child is ended (killSignal, then SIGKILL) and restarted by
// the policy as a failure, with reason 'watchdog' in its 'exit' event.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { supervise, type SupervisedExit, type Supervisor, type SupervisorNotification } from '../../lib/supervise';

let dir: string;
const live: Supervisor[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'unixproc-watchdog-'));
});
afterEach(async () => {
  for (const s of live.splice(0)) await s.terminate({ killGracePeriod: 2000 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sup(script: string, options: Parameters<typeof supervise>[2]): Supervisor {
  const s = supervise('/bin/sh', ['-c', script], { killGracePeriod: 2000, ...options });
  live.push(s);
  return s;
}

/** The supervisor's events in order, as one list. */
function journal(s: Supervisor): string[] {
  const out: string[] = [];
  s.on('ready', () => out.push('ready'));
  s.on('notify', (n: SupervisorNotification) => n.status !== undefined && out.push(`status ${n.status}`));
  s.on('exit', (e: SupervisedExit) => out.push(`exit ${e.reason} ${e.status.kind === 'signaled' ? e.status.signal : e.status.kind}`));
  s.on('restart', ({ count }) => out.push(`restart ${count}`));
  return out;
}

test('a ready child that stops pinging is ended with killSignal and restarted; it pinged in time before', async () => {
  const s = sup('systemd-notify --ready; for i in 1 2 3 4 5 6; do systemd-notify WATCHDOG=1; sleep 0.05; done; systemd-notify STATUS=quiet; exec sleep 300', {
    ready: 'notify',
    watchdog: 500,
    backoff: { initial: 10 },
    startLimit: { maxRestarts: 1 },
  });
  const events = journal(s);
  await s.done();
  // Each run: ready, pinged 6 times (never ended meanwhile), fell quiet, was ended by the watchdog.
  const run = ['ready', 'status quiet', 'exit watchdog SIGTERM'];
  expect(events).toEqual([...run, 'restart 1', ...run]);
  expect(s.state).toBe('failed');
});

test('WATCHDOG_USEC is in the child environment; WATCHDOG=trigger ends it at once', async () => {
  const out = join(dir, 'usec');
  const s = sup(`echo "$WATCHDOG_USEC" > ${out}; systemd-notify --ready; systemd-notify WATCHDOG=trigger; exec sleep 300`, {
    ready: 'notify',
    watchdog: 60000,
    restart: 'never',
  });
  const exits: SupervisedExit[] = [];
  s.on('exit', (e) => exits.push(e));
  await s.done();
  expect(readFileSync(out, 'utf8')).toBe('60000000\n');
  expect(exits.map((e) => e.reason)).toEqual(['watchdog']);
});

test('WATCHDOG_USEC= from the child sets a new period', async () => {
  // 60 s asked for, 300 ms set by the child: the watchdog ends it long before a minute.
  const s = sup('systemd-notify --ready WATCHDOG_USEC=300000; exec sleep 300', { ready: 'notify', watchdog: 60000, restart: 'never' });
  const exits: SupervisedExit[] = [];
  s.on('exit', (e) => exits.push(e));
  await s.done();
  expect(exits.map((e) => e.reason)).toEqual(['watchdog']);
});

test('a watchdog with the default readiness serves NOTIFY_SOCKET too, and escalates to SIGKILL', async () => {
  const marker = join(dir, 'trapped');
  const s = sup(`trap 'touch ${marker}' TERM; while :; do sleep 0.05; done`, {
    watchdog: 200,
    killGracePeriod: 200,
    restart: 'never',
  });
  expect(s.notifySocket).toMatch(/^@unixproc\/notify\//);
  const exits: SupervisedExit[] = [];
  s.on('exit', (e) => exits.push(e));
  await s.done();
  expect(existsSync(marker)).toBe(true); // it got killSignal first, and ignored it
  expect(exits.map((e) => [e.reason, e.status.kind === 'signaled' && e.status.signal])).toEqual([['watchdog', 'SIGKILL']]);
});
