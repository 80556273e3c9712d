// `unixproc supervise` under a service manager (issue 11, item 5): with NOTIFY_SOCKET set it
// sends READY=1 once its command is ready, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1
// when it stops. The manager here is this test: a NOTIFY_SOCKET of its own.
import { join } from 'node:path';
import { spawn } from '../../lib/spawn';
import { NotifySocket, type ReceivedNotification } from '../../lib/supervise/notify-socket';
import { LOADER, ROOT, readAll, waitFor } from '../helpers/supervise-helpers';

const MAIN = join(ROOT, 'lib', 'cli', 'main.ts');

test('READY=1 after the command is ready (not before), WATCHDOG=1 pings, STOPPING=1 on SIGTERM', async () => {
  const got: ReceivedNotification[] = [];
  const manager = new NotifySocket(undefined, (n) => got.push(n));
  try {
    const cli = spawn(
      process.execPath,
      [
        '-r', LOADER, MAIN, 'supervise', '--ready', 'notify', '--',
        '/bin/sh', '-c', 'sleep 0.5; systemd-notify --ready; exec sleep 300',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NOTIFY_SOCKET: manager.address, WATCHDOG_USEC: '200000' } },
    );
    const stderr = readAll(cli.stderr);
    await waitFor('READY=1 from unixproc supervise', () => got.some((n) => n.message.ready === true), 20000);
    // The child is `sleep` once it was ready (the shell exec'd): READY=1 came after its readiness.
    const first = got.findIndex((n) => n.message.ready === true);
    expect(got[first].pid).toBe(cli.pid);
    expect(got.slice(0, first).every((n) => n.message.watchdog === 'ping')).toBe(true);
    await waitFor('two WATCHDOG=1 after READY=1', () => got.slice(first).filter((n) => n.message.watchdog === 'ping').length >= 2, 20000);
    cli.kill('SIGTERM');
    const status = await cli.wait();
    expect(status).toEqual({ kind: 'exited', code: 143 });
    expect(got.filter((n) => n.message.ready === true)).toHaveLength(1);
    expect(got[got.length - 1]).toEqual({ pid: cli.pid, message: { stopping: true } });
    expect(got.every((n) => n.pid === cli.pid)).toBe(true); // the command's own datagrams went to its supervisor
    expect(await stderr).toMatch(/started \/bin\/sh/);
  } finally {
    manager.close();
  }
});
