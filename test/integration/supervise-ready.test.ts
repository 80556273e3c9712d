// Readiness (issue 11): state 'starting' until the child is ready by its protocol (sd_notify
// through the real systemd-notify and through a Node child, s6's notification fd, a probe),
// readyTimeout as a failed start, and the backoff's stable clock running from readiness.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { notify, supervise, type Supervisor, type SupervisedExit, type SupervisorNotification } from '../../lib/supervise';
import { LOADER, ROOT, waitFor } from '../helpers/supervise-helpers';

const NOTIFY_LIB = join(ROOT, 'lib', 'supervise', 'notify.ts');
let dir: string;
const live: Supervisor[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'unixproc-ready-'));
});
afterEach(async () => {
  for (const s of live.splice(0)) await s.terminate({ killGracePeriod: 2000 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sup(file: string, args: readonly string[], options: Parameters<typeof supervise>[2]): Supervisor {
  const s = supervise(file, args, { killGracePeriod: 2000, ...options });
  live.push(s);
  return s;
}

function notifications(s: Supervisor): SupervisorNotification[] {
  const out: SupervisorNotification[] = [];
  s.on('notify', (n) => out.push(n));
  return out;
}

describe("ready: 'spawn' (the default)", () => {
  test('the child is ready at once: state running, ready() resolves with its pid', async () => {
    const s = sup('sleep', ['300'], {});
    expect(s.state).toBe('running');
    await expect(s.ready()).resolves.toBe(s.mainPid);
    expect(s.notifySocket).toBeUndefined();
  });
});

describe("ready: 'notify' (sd_notify)", () => {
  test('the real systemd-notify makes the child ready; its barrier fd is closed, so it exits 0', async () => {
    const rc = join(dir, 'systemd-notify.rc');
    const s = sup('/bin/sh', ['-c', `sleep 0.2; systemd-notify --ready --status="serving"; echo $? > ${rc}; exec sleep 300`], {
      ready: 'notify',
    });
    expect(s.state).toBe('starting');
    expect(s.notifySocket).toMatch(/^@unixproc\/notify\/\d+\/[0-9a-f]{16}$/);
    const readyEvents: number[] = [];
    s.on('ready', (pid) => readyEvents.push(pid));
    const pid = await s.ready();
    expect(s.state).toBe('running');
    expect(readyEvents).toEqual([pid]);
    expect(s.statusText).toBe('serving');
    await waitFor('systemd-notify to finish', () => existsSync(rc) && readFileSync(rc, 'utf8').length > 0, 15000);
    expect(readFileSync(rc, 'utf8')).toBe('0\n'); // no 5 s barrier timeout: the passed fd was closed
    expect(s.notifications.outside).toBe(0);
    expect(s.notifications.accepted).toBeGreaterThanOrEqual(2); // READY=1, then the barrier
  });

  test('a Node child sending the datagram itself (notify()) is ready, with its status and main pid', async () => {
    const script = `const { notify } = require(${JSON.stringify(NOTIFY_LIB)});
      notify('STATUS=warming up');
      setTimeout(() => { notify('READY=1\\nSTATUS=ready\\nMAINPID=' + process.pid); setInterval(() => {}, 1000); }, 100);`;
    const s = sup(process.execPath, ['-r', LOADER, '-e', script], { ready: 'notify' });
    const seen = notifications(s);
    const pid = await s.ready();
    expect(seen.map((n) => n.status)).toEqual(['warming up', 'ready']);
    expect(seen[1]).toEqual({ name: s.name, pid, ready: true, status: 'ready', mainPid: pid });
    expect(s.mainPid).toBe(pid);
  });

  test('a datagram from outside the tree is ignored and counted: the child stays starting', async () => {
    const s = sup('sleep', ['300'], { ready: 'notify' });
    expect(notify('READY=1', s.notifySocket)).toBe(true); // this process is not in the tree
    await waitFor('the datagram to be read', () => s.notifications.outside === 1);
    expect(s.state).toBe('starting');
    expect(s.notifications).toEqual({ accepted: 0, outside: 1, invalid: 0 });
  });

  test('hostile datagrams never crash: too long, NUL, binary, no newline, passed fds (closed)', async () => {
    const out = join(dir, 'hostile.out');
    // Python's socket module sends what Node cannot: datagrams with SCM_RIGHTS.
    const py = `
import os, socket
a = os.environ['NOTIFY_SOCKET']
a = '\\0' + a[1:] if a.startswith('@') else a
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b'READY=1' + b'x' * 70000, a)           # longer than 4096: refused whole
s.sendto(b'READY=1\\n\\0STATUS=nul', a)          # a NUL: refused whole
s.sendto(b'STATUS=\\xff\\xfe\\nGARBAGE\\n=\\n\\n', a)  # not UTF-8: that assignment ignored
r, w = os.pipe()
s.sendmsg([b'STATUS=with fds'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(memoryview(__import__('array').array('i', [w, w, r]))))], 0, a)
os.close(w)
os.set_blocking(r, True)
eof = os.read(r, 1) == b''                    # every copy of w closed: the supervisor closed its own
open(${JSON.stringify(out)}, 'w').write('eof' if eof else 'data')
s.sendto(b'READY=1', a)                         # no newline at the end
import time; time.sleep(300)
`;
    const s = sup('python3', ['-c', py], { ready: 'notify' });
    const seen = notifications(s);
    await s.ready();
    expect(readFileSync(out, 'utf8')).toBe('eof');
    expect(s.notifications).toEqual({ accepted: 3, outside: 0, invalid: 2 });
    expect(seen.map((n) => n.status)).toEqual([undefined, 'with fds', undefined]);
    expect(s.statusText).toBe('with fds');
  });

  test('a filesystem NOTIFY_SOCKET is created, used, and removed when the supervisor stops', async () => {
    const path = join(dir, 'notify.sock');
    const s = supervise('/bin/sh', ['-c', 'systemd-notify --ready; exec sleep 300'], { ready: 'notify', notifySocket: path });
    expect(s.notifySocket).toBe(path);
    expect(existsSync(path)).toBe(true);
    await s.ready();
    await s.terminate();
    expect(existsSync(path)).toBe(false);
  });

  test('a NOTIFY_SOCKET path that cannot be bound is an error at supervise() time, nothing started', () => {
    const taken = join(dir, 'taken');
    writeFileSync(taken, '');
    expect(() => supervise('sleep', ['300'], { ready: 'notify', notifySocket: taken })).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind', path: taken }),
    );
    const missing = join(dir, 'no-such-dir', 'sock');
    expect(() => supervise('sleep', ['300'], { ready: 'notify', notifySocket: missing })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'bind', path: missing }),
    );
  });

  test('EXTEND_TIMEOUT_USEC= gives the start more time than readyTimeout', async () => {
    const s = sup('/bin/sh', ['-c', 'systemd-notify EXTEND_TIMEOUT_USEC=20000000; sleep 1.5; systemd-notify --ready; exec sleep 300'], {
      ready: 'notify',
      readyTimeout: 1000,
    });
    const exits: SupervisedExit[] = [];
    s.on('exit', (e) => exits.push(e));
    await s.ready();
    expect(exits).toEqual([]);
    expect(s.restarts).toBe(0);
  });

  test("the child's environment has NOTIFY_SOCKET; this process's own is not passed on by default", async () => {
    const out = join(dir, 'env.out');
    const saved = process.env.NOTIFY_SOCKET;
    process.env.NOTIFY_SOCKET = '@not-for-children';
    try {
      const plain = sup('/bin/sh', ['-c', `echo "[$NOTIFY_SOCKET]" > ${out}.plain; exec sleep 300`], {});
      const s = sup('/bin/sh', ['-c', `echo "$NOTIFY_SOCKET" > ${out}; systemd-notify --ready; exec sleep 300`], { ready: 'notify' });
      await s.ready();
      await plain.ready();
      await waitFor('the plain child to write', () => existsSync(`${out}.plain`) && readFileSync(`${out}.plain`, 'utf8').endsWith('\n'));
      expect(readFileSync(out, 'utf8')).toBe(`${s.notifySocket}\n`);
      expect(readFileSync(`${out}.plain`, 'utf8')).toBe('[]\n');
    } finally {
      if (saved === undefined) delete process.env.NOTIFY_SOCKET;
      else process.env.NOTIFY_SOCKET = saved;
    }
  });
});

describe('readyTimeout', () => {
  test('a child not ready in time is a failed start: ended, restarted, then the start limit; ready() rejects', async () => {
    const s = sup('sleep', ['300'], { ready: 'notify', readyTimeout: 200, backoff: { initial: 10 }, startLimit: { maxRestarts: 1 } });
    const exits: SupervisedExit[] = [];
    s.on('exit', (e) => exits.push(e));
    await expect(s.ready()).rejects.toMatchObject({ code: 'ERR_UNIXPROC_NOT_READY', state: 'failed' });
    expect(s.state).toBe('failed');
    expect(s.failure?.reason).toBe('start-limit');
    expect(exits.map((e) => [e.reason, e.status.kind === 'signaled' && e.status.signal])).toEqual([
      ['ready-timeout', 'SIGTERM'],
      ['ready-timeout', 'SIGTERM'],
    ]);
    await expect(s.ready()).rejects.toMatchObject({ code: 'ERR_UNIXPROC_NOT_READY' });
  });

  test("a ready-timeout is a failure even when the child exits 0 on SIGTERM ('on-failure' restarts it)", async () => {
    const s = sup('/bin/sh', ['-c', "trap 'exit 0' TERM; while :; do sleep 0.05; done"], {
      ready: 'notify', readyTimeout: 200, backoff: { initial: 10 }, startLimit: { maxRestarts: 1 },
    });
    const exits: SupervisedExit[] = [];
    s.on('exit', (e) => exits.push(e));
    await s.done();
    expect(exits.map((e) => [e.reason, e.status])).toEqual([
      ['ready-timeout', { kind: 'exited', code: 0 }],
      ['ready-timeout', { kind: 'exited', code: 0 }],
    ]);
    expect(s.state).toBe('failed');
  });

  test('terminate() while starting stops it; ready() rejects with state stopped', async () => {
    const s = sup('sleep', ['300'], { ready: 'notify' });
    const ready = s.ready();
    const exits: SupervisedExit[] = [];
    s.on('exit', (e) => exits.push(e));
    await s.terminate();
    await expect(ready).rejects.toMatchObject({ code: 'ERR_UNIXPROC_NOT_READY', state: 'stopped' });
    expect(exits.map((e) => e.reason)).toEqual(['terminated']);
  });
});

describe('the backoff stable clock runs from readiness', () => {
  test('a child that ran longer than resetAfter but was ready only briefly does not reset the backoff', async () => {
    const s = sup('/bin/sh', ['-c', 'sleep 1.2; systemd-notify --ready; exit 1'], {
      ready: 'notify', backoff: { initial: 20, factor: 2, resetAfter: 1000 }, startLimit: { maxRestarts: 2, window: 60000 },
    });
    const delays: number[] = [];
    s.on('restart', ({ delay }) => delays.push(delay));
    await s.done();
    expect(delays).toEqual([20, 40]); // with the clock from exec (uptime > resetAfter): [20, 20]
  });
});

describe('ready: { fd } (s6 notification-fd)', () => {
  test.each(['cgroup', 'subreaper', false] as const)('ready once the child writes a newline to its fd 5 (contain %s)', async (contain) => {
    const s = sup('/bin/sh', ['-c', 'printf "not yet" >&5; sleep 0.2; echo >&5; exec sleep 300'], { ready: { fd: 5 }, contain });
    expect(s.state).toBe('starting');
    await expect(s.ready()).resolves.toBe(s.mainPid);
    expect(s.state).toBe('running');
  });

  test('closing the fd without a newline is never ready (readyTimeout ends it)', async () => {
    const s = sup('/bin/sh', ['-c', 'exec 5>&-; exec sleep 300'], { ready: { fd: 5 }, readyTimeout: 300, startLimit: { maxRestarts: 0 } });
    await expect(s.ready()).rejects.toMatchObject({ code: 'ERR_UNIXPROC_NOT_READY' });
    expect(s.lastStatus).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' });
  });

  test('fd 3 with the subreaper is refused (the shepherd has it)', () => {
    expect(() => supervise('sleep', ['300'], { ready: { fd: 3 }, contain: 'subreaper' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });
});

describe('ready: a probe', () => {
  test('retried until it succeeds; given the pid, the attempt and an AbortSignal', async () => {
    const calls: { pid: number; attempt: number; aborted: boolean }[] = [];
    const s = sup('sleep', ['300'], {
      ready: async ({ pid, attempt, signal }) => {
        calls.push({ pid, attempt, aborted: signal.aborted });
        if (attempt === 1) throw new Error('ECONNREFUSED');
        return attempt >= 3;
      },
    });
    const pid = await s.ready();
    expect(calls).toEqual([1, 2, 3].map((attempt) => ({ pid, attempt, aborted: false })));
  });
});
