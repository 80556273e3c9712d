// kill/killpg, pidfd_open, times, system, _exit, and the documented errnos of identity
// calls, against real processes.
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from '../../lib/os';
import { reap, runNodeScript, spawnSh } from '../helpers/os-core-children';

const NO_SUCH_PID = 2 ** 22 + 1; // above the largest pid_max Linux allows

describe('kill and killpg', () => {
  test('kill by name and by number ends the child with that signal', () => {
    const a = spawnSh('exec sleep 30');
    const b = spawnSh('exec sleep 30');
    os.kill(a, 'SIGTERM');
    os.kill(b, 9);
    expect([os.WTERMSIG(reap(a)), os.WTERMSIG(reap(b))]).toEqual([15, 9]);
  });

  test('signal 0 probes: a live child passes, a reaped one throws ESRCH', () => {
    const pid = spawnSh('exec sleep 30');
    expect(os.kill(pid, 0)).toBeUndefined();
    os.kill(pid, 'SIGKILL');
    reap(pid);
    expect(() => os.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH', errno: -3, syscall: 'kill' }));
  });

  test('kill of a pid that does not exist throws ESRCH', () => {
    expect(() => os.kill(NO_SUCH_PID, 'SIGTERM')).toThrow(expect.objectContaining({ code: 'ESRCH', message: 'kill ESRCH' }));
  });

  test('killpg and kill(-pgid) signal every member of the group', () => {
    const leader = spawnSh('exec sleep 30', { setpgroup: 0 });
    const member = spawnSh('exec sleep 30', { setpgroup: leader });
    os.killpg(leader, 'SIGUSR1');
    expect([os.WTERMSIG(reap(leader)), os.WTERMSIG(reap(member))]).toEqual([10, 10]);
    const l2 = spawnSh('exec sleep 30', { setpgroup: 0 });
    const m2 = spawnSh('exec sleep 30', { setpgroup: l2 });
    os.kill(-l2, 'SIGHUP');
    expect([os.WTERMSIG(reap(l2)), os.WTERMSIG(reap(m2))]).toEqual([1, 1]);
  });

  // Issue 13: ints the kernel rejects come back as its errno, as in Python.
  test.each([
    ['kill(pid, 65)', () => os.kill(process.pid, 65), 'kill'],
    ['kill(pid, -1)', () => os.kill(process.pid, -1), 'kill'],
    ['killpg(-1, 0)', () => os.killpg(-1, 0), 'killpg'],
  ])('%s throws EINVAL from the kernel', (_what, call, syscall) => {
    expect(call).toThrow(expect.objectContaining({ code: 'EINVAL', errno: -22, syscall }));
  });

  test('killpg of a group that does not exist throws ESRCH', () => {
    expect(() => os.killpg(NO_SUCH_PID, 0)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'killpg' }));
  });

  test.each([
    ['a string pid', 'ERR_INVALID_ARG_TYPE', () => os.kill('1' as unknown as number, 0)],
    ['a fractional pid', 'ERR_OUT_OF_RANGE', () => os.kill(1.5, 0)],
    ['a pid beyond pid_t', 'ERR_OUT_OF_RANGE', () => os.kill(2 ** 31, 0)],
    ['an unknown signal name', 'ERR_INVALID_ARG_VALUE', () => os.kill(1, 'SIGNOPE' as never)],
    ['a signal beyond int', 'ERR_OUT_OF_RANGE', () => os.kill(1, 2 ** 31)],
    ['a boolean signal', 'ERR_INVALID_ARG_TYPE', () => os.kill(1, true as unknown as number)],
    ['a pgid beyond pid_t', 'ERR_OUT_OF_RANGE', () => os.killpg(-(2 ** 31) - 1, 0)],
    ['a NaN pgid', 'ERR_OUT_OF_RANGE', () => os.killpg(NaN, 0)],
    ['killpg with an unknown signal', 'ERR_INVALID_ARG_VALUE', () => os.killpg(1, 'TERM' as never)],
  ])('%s is rejected with %s', (_what, code, call) => {
    expect(call).toThrow(expect.objectContaining({ code }));
  });
});

describe('documented errnos of the identity calls', () => {
  test('setsid() by a process group leader throws EPERM', () => {
    // A node child in a group of its own (setpgroup 0) is a group leader from the start.
    const { status, stdout } = runNodeScript(
      `let r; try { os.setsid(); r = 'no error'; } catch (e) { r = { code: e.code, errno: e.errno, syscall: e.syscall, message: e.message }; }
       process.stdout.write(JSON.stringify({ leader: os.getpgid(0) === os.getpid(), r }));`,
      { setpgroup: 0 },
    );
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ leader: true, r: { code: 'EPERM', errno: -1, syscall: 'setsid', message: 'setsid EPERM' } });
  });

  test('setsid() succeeds once, then throws EPERM (the caller now leads a group)', () => {
    const { stdout } = runNodeScript(
      `os.setsid(); const sid = os.getsid(0);
       let code; try { os.setsid(); } catch (e) { code = e.code; }
       process.stdout.write(JSON.stringify({ sidIsPid: sid === os.getpid(), code }));`,
    );
    expect(JSON.parse(stdout)).toEqual({ sidIsPid: true, code: 'EPERM' });
  });

  test('getsid of a pid that does not exist throws ESRCH', () => {
    expect(() => os.getsid(NO_SUCH_PID)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'getsid' }));
  });

  test('setpgid of the caller into a group of another session throws EPERM', () => {
    // (A child that already exec'd would give EACCES first; the caller itself cannot.)
    const other = spawnSh('exec sleep 30', { setsid: true }); // leads group `other` in a new session
    const ownGroup = os.getpgrp();
    try {
      expect(os.getsid(other)).not.toBe(os.getsid(0));
      expect(() => os.setpgid(0, other)).toThrow(expect.objectContaining({ code: 'EPERM', errno: -1, syscall: 'setpgid' }));
      expect(os.getpgrp()).toBe(ownGroup);
    } finally {
      os.kill(other, 9);
      reap(other);
    }
  });

  test("setpgid of a child that already exec'd throws EACCES", () => {
    const child = spawnSh('exec sleep 30');
    try {
      expect(() => os.setpgid(child, child)).toThrow(expect.objectContaining({ code: 'EACCES', syscall: 'setpgid' }));
    } finally {
      os.kill(child, 9);
      reap(child);
    }
  });
});

describe('pidfd_open', () => {
  test('a pidfd waits for its child with waitid(P_PIDFD)', () => {
    const pid = spawnSh('exit 6');
    const fd = os.pidfd_open(pid);
    try {
      expect(os.waitid(os.P_PIDFD, fd, os.WEXITED)).toEqual(expect.objectContaining({ si_pid: pid, si_status: 6, si_code: os.CLD_EXITED }));
    } finally {
      fs.closeSync(fd);
    }
  });

  test('with PIDFD_NONBLOCK, waitid on a running child throws EAGAIN', () => {
    const pid = spawnSh('exec sleep 30');
    const fd = os.pidfd_open(pid, os.PIDFD_NONBLOCK);
    try {
      expect(() => os.waitid(os.P_PIDFD, fd, os.WEXITED)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    } finally {
      fs.closeSync(fd);
      os.kill(pid, 9);
      reap(pid);
    }
  });

  test('pidfd_open(-1) and pidfd_open(0) throw EINVAL from the kernel, as in Python (issue 13)', () => {
    expect(() => os.pidfd_open(-1)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'pidfd_open' }));
    expect(() => os.pidfd_open(0)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'pidfd_open' }));
  });

  test('pidfd_open of a pid that does not exist throws ESRCH; unknown flags EINVAL', () => {
    expect(() => os.pidfd_open(NO_SUCH_PID)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'pidfd_open' }));
    expect(() => os.pidfd_open(process.pid, 1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  test.each([
    ['a pid beyond pid_t', 'ERR_OUT_OF_RANGE', () => os.pidfd_open(2 ** 31)],
    ['a string pid', 'ERR_INVALID_ARG_TYPE', () => os.pidfd_open('1' as unknown as number)],
    ['fractional flags', 'ERR_OUT_OF_RANGE', () => os.pidfd_open(1, 0.5)],
  ])('%s is rejected with %s', (_what, code, call) => {
    expect(call).toThrow(expect.objectContaining({ code }));
  });
});

describe('times', () => {
  test("has Python's os.times_result fields, in seconds", () => {
    const t = os.times();
    expect(Object.keys(t)).toEqual(['user', 'system', 'children_user', 'children_system', 'elapsed']);
    expect(t.user + t.system).toBeGreaterThan(0);
  });

  test('children times grow once a CPU-busy child is reaped', () => {
    const before = os.times();
    reap(spawnSh('i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done'));
    const after = os.times();
    expect(after.children_user + after.children_system).toBeGreaterThan(before.children_user + before.children_system);
  });

  test("elapsed is on the same clock as CPython's os.times().elapsed", () => {
    const py = spawnSync('python3', ['-c', 'import os; print(os.times().elapsed)'], { encoding: 'utf8' });
    if (py.status !== 0) {
      console.warn('python3 not found: skipped');
      return;
    }
    expect(Math.abs(os.times().elapsed - Number(py.stdout))).toBeLessThan(30);
  });
});

describe('system', () => {
  test('returns the wait status of /bin/sh -c command', () => {
    expect(os.system('exit 3')).toBe(3 << 8);
    expect(os.system('kill -TERM $$')).toBe(15);
    expect(os.system('')).toBe(0);
    expect(os.system('/no/such/command 2>/dev/null')).toBe(127 << 8);
  });

  test('ignores SIGINT and SIGQUIT in the caller while the command runs, and restores them after', () => {
    const mask = (text: string) => BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)$/m.exec(text)?.[1]}`);
    const intQuit = (1n << 1n) | (1n << 2n);
    const before = mask(fs.readFileSync('/proc/self/status', 'utf8'));
    expect(before & intQuit).toBe(0n);
    // The shell reads its parent's (our) status while system() waits for it.
    const { dir } = { dir: fs.mkdtempSync('/tmp/unixproc-os-core-') };
    try {
      const out = `${dir}/status`;
      expect(os.system(`cat /proc/${process.pid}/status > ${out}`)).toBe(0);
      expect(mask(fs.readFileSync(out, 'utf8')) & intQuit).toBe(intQuit);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(mask(fs.readFileSync('/proc/self/status', 'utf8'))).toBe(before);
  });

  test('the command starts with no ignored signal', () => {
    const dir = fs.mkdtempSync('/tmp/unixproc-os-core-');
    try {
      expect(os.system(`grep SigIgn /proc/self/status > ${dir}/s`)).toBe(0);
      expect(fs.readFileSync(`${dir}/s`, 'utf8').trim()).toBe('SigIgn:\t0000000000000000');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['a number', 'ERR_INVALID_ARG_TYPE', () => os.system(1 as unknown as string)],
    ['a NUL byte', 'ERR_INVALID_ARG_VALUE', () => os.system('true\0')],
  ])('a command that is %s is rejected with %s', (_what, code, call) => {
    expect(call).toThrow(expect.objectContaining({ code }));
  });
});

describe('_exit', () => {
  test('ends the process with the status at once: no exit handlers, no "exit" event', () => {
    const { status, stdout } = runNodeScript(
      `process.on('exit', () => require('fs').writeSync(1, 'exit handler ran'));
       os._exit(7);`,
    );
    expect(os.WEXITSTATUS(status)).toBe(7);
    expect(stdout).toBe('');
  });

  test.each([
    ['a string', 'ERR_INVALID_ARG_TYPE', '1'],
    ['a fraction', 'ERR_OUT_OF_RANGE', 1.5],
  ])('a status that is %s is rejected with %s (and the process lives on)', (_what, code, value) => {
    expect(() => os._exit(value as number)).toThrow(expect.objectContaining({ code }));
  });
});

