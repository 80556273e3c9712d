// native/pidfd.cc: pidfdExited(pidfd), poll(2) with a zero timeout on a pidfd: 0 while the
// process runs, 1 once it has exited (a zombie and a reaped process alike), -EBADF for an fd
// that is not open. And the kernel behaviour it exists for: a zombie accepts signals.
import { readFileSync } from 'node:fs';
import { native } from '../../lib/native';

interface PidfdAddon {
  pidfdOpen(pid: number, flags: number): number;
  pidfdSendSignal(pidfd: number, sig: number): number;
  pidfdExited(pidfd: number): number;
  closeFd(fd: number): number;
  spawnChild(...args: unknown[]): number[];
  waitpid(pid: number, options: number): [number, number] | number;
}
const addon = native<PidfdAddon>();
const EBADF = -9;
const ESRCH = -3;

function state(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

// pidfd_open(2) is ENOSYS where the runtime does not pass it through: valgrind 3.19 has no
// wrapper for syscall 434 (npm run test:valgrind), as kernels before 5.3 have none; the
// library then takes its fallback (docs/spawning.md), and these tests have nothing to test.
const ENOSYS = -38;
const probe = addon.pidfdOpen(process.pid, 0);
if (probe >= 0) addon.closeFd(probe);
const describePidfd = probe === ENOSYS ? describe.skip : describe;

describePidfd('pidfdExited', () => {
  test('is 0 for a running process (this one)', () => {
    const fd = addon.pidfdOpen(process.pid, 0);
    expect(fd).toBeGreaterThanOrEqual(0);
    try {
      expect(addon.pidfdExited(fd)).toBe(0);
    } finally {
      addon.closeFd(fd);
    }
  });

  test('is 1 for a zombie, which still accepts a signal, and 1 once it is reaped, which does not', () => {
    // A child that no handle and no registry knows (the raw native call): this test is its
    // only owner, and reaps it by pid.
    const config = new Int32Array([-2, -2, -2, 0, -1, 0, -1, -1, 0]);
    const pid = addon.spawnChild(['/bin/true'], ['/bin/true'], [], '', config)[0];
    expect(pid).toBeGreaterThan(0);
    const fd = addon.pidfdOpen(pid, 0);
    try {
      const pause = new Int32Array(new SharedArrayBuffer(4));
      while (state(pid) !== 'Z') Atomics.wait(pause, 0, 0, 1);
      const zombie = [addon.pidfdExited(fd), addon.pidfdSendSignal(fd, 0)];
      const reaped = addon.waitpid(pid, 0);
      expect(zombie).toEqual([1, 0]);
      expect(reaped).toEqual([pid, 0]);
      expect([addon.pidfdExited(fd), addon.pidfdSendSignal(fd, 0)]).toEqual([1, ESRCH]);
    } finally {
      addon.closeFd(fd);
    }
  });

  test('is -EBADF for an fd that is not open', () => {
    expect(addon.pidfdExited(999999)).toBe(EBADF);
  });
});
