// The wait family against real children (made with posix_spawn, never child_process).
import * as fs from 'node:fs';
import * as os from '../../lib/os';
import { coreDumpSkipReason, reap, spawnSh, tempDir, untilState } from '../helpers/os-core-children';

const corePattern = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
const coreSkipReason = coreDumpSkipReason(corePattern);
if (coreSkipReason !== undefined) console.warn(`core-dump tests skipped: ${coreSkipReason}`);
const testDumpingCore = coreSkipReason === undefined ? test : test.skip;

const RUSAGE_FIELDS = [
  'ru_utime', 'ru_stime', 'ru_maxrss', 'ru_ixrss', 'ru_idrss', 'ru_isrss', 'ru_minflt', 'ru_majflt',
  'ru_nswap', 'ru_inblock', 'ru_oublock', 'ru_msgsnd', 'ru_msgrcv', 'ru_nsignals', 'ru_nvcsw', 'ru_nivcsw',
];

describe('exit statuses of real children', () => {
  test.each([0, 1, 255])('exit %i: WIFEXITED, WEXITSTATUS and waitstatus_to_exitcode', (code) => {
    const status = reap(spawnSh(`exit ${code}`));
    expect(status).toBe(code << 8);
    expect([os.WIFEXITED(status), os.WEXITSTATUS(status), os.WIFSIGNALED(status), os.WIFSTOPPED(status)]).toEqual([true, code, false, false]);
    expect(os.waitstatus_to_exitcode(status)).toBe(code);
  });

  test.each([
    ['SIGTERM', 15],
    ['SIGKILL', 9],
  ])('killed by %s: WIFSIGNALED, WTERMSIG, no core', (name, signo) => {
    const status = reap(spawnSh(`kill -${name.slice(3)} $$`));
    expect([os.WIFSIGNALED(status), os.WTERMSIG(status), os.WCOREDUMP(status), os.WIFEXITED(status)]).toEqual([true, signo, false, false]);
    expect(os.waitstatus_to_exitcode(status)).toBe(-signo);
  });

  test('SIGSEGV with RLIMIT_CORE 0: signaled, no core dumped', () => {
    const status = reap(spawnSh('ulimit -c 0; kill -SEGV $$'));
    expect([os.WIFSIGNALED(status), os.WTERMSIG(status), os.WCOREDUMP(status)]).toEqual([true, 11, false]);
  });

  testDumpingCore('SIGSEGV with RLIMIT_CORE unlimited: signaled, WCOREDUMP true, the core in the working directory', () => {
    const { dir, cleanup } = tempDir();
    try {
      const status = reap(spawnSh(`cd ${dir} && ulimit -c unlimited && kill -SEGV $$`));
      expect([os.WIFSIGNALED(status), os.WTERMSIG(status), os.WCOREDUMP(status)]).toEqual([true, 11, true]);
      expect(os.waitstatus_to_exitcode(status)).toBe(-11);
      expect(fs.readdirSync(dir).some((f) => f.startsWith(corePattern.split('%')[0]))).toBe(true);
    } finally {
      cleanup();
    }
  });

  test('stopped then continued: WUNTRACED reports WIFSTOPPED/WSTOPSIG, WCONTINUED reports WIFCONTINUED', () => {
    // The child must not exit on its own once continued: an exit before the waitpid would
    // be reported instead of the continue (the kernel reports a zombie first).
    const pid = spawnSh("trap 'exit 7' USR1; kill -STOP $$; while :; do sleep 0.05; done");
    const [p1, stopped] = os.waitpid(pid, os.WUNTRACED);
    expect([p1, os.WIFSTOPPED(stopped), os.WSTOPSIG(stopped), os.WIFEXITED(stopped)]).toEqual([pid, true, 19, false]);
    os.kill(pid, 'SIGCONT');
    const [p2, continued] = os.waitpid(pid, os.WCONTINUED);
    expect([p2, os.WIFCONTINUED(continued), continued]).toEqual([pid, true, 0xffff]);
    os.kill(pid, 'SIGUSR1');
    expect(os.WEXITSTATUS(reap(pid))).toBe(7);
  });

  test('waitid reports si_code CLD_EXITED and CLD_KILLED with si_status', () => {
    const exited = spawnSh('exit 3');
    const killed = spawnSh('kill -KILL $$');
    const get = (pid: number) => os.waitid(os.P_PID, pid, os.WEXITED);
    expect(get(exited)).toEqual({ si_pid: exited, si_uid: process.getuid?.(), si_signo: 17, si_status: 3, si_code: os.CLD_EXITED });
    expect(get(killed)).toEqual(expect.objectContaining({ si_pid: killed, si_status: 9, si_code: os.CLD_KILLED }));
  });

  testDumpingCore('waitid reports si_code CLD_DUMPED with si_status for a core dump', () => {
    const { dir, cleanup } = tempDir();
    try {
      const dumped = spawnSh(`cd ${dir} && ulimit -c unlimited && kill -ABRT $$`);
      expect(os.waitid(os.P_PID, dumped, os.WEXITED)).toEqual(expect.objectContaining({ si_pid: dumped, si_status: 6, si_code: os.CLD_DUMPED }));
    } finally {
      cleanup();
    }
  });

  test('waitid reports CLD_STOPPED and CLD_CONTINUED', () => {
    // As above: the child waits for SIGUSR1 once continued, so its exit cannot race the report.
    const pid = spawnSh("trap 'exit 0' USR1; kill -STOP $$; while :; do sleep 0.05; done");
    expect(os.waitid(os.P_PID, pid, os.WSTOPPED)).toEqual(expect.objectContaining({ si_pid: pid, si_status: 19, si_code: os.CLD_STOPPED }));
    os.kill(pid, 'SIGCONT');
    expect(os.waitid(os.P_PID, pid, os.WCONTINUED)).toEqual(expect.objectContaining({ si_pid: pid, si_status: 18, si_code: os.CLD_CONTINUED }));
    os.kill(pid, 'SIGUSR1');
    expect(reap(pid)).toBe(0);
  });
});

describe('the calls and their shapes', () => {
  test('wait() returns [pid, status] of an ended child', () => {
    const pid = spawnSh('exit 12');
    expect(os.wait()).toEqual([pid, 12 << 8]);
  });

  test('waitpid(0) takes a child of our group and waitpid(-pgid) one of group pgid', () => {
    const same = spawnSh('exit 1');
    expect(os.waitpid(0, 0)).toEqual([same, 1 << 8]);
    const leader = spawnSh('exit 2', { setpgroup: 0 });
    expect(os.waitpid(-leader, 0)).toEqual([leader, 2 << 8]);
  });

  test('waitpid with WNOHANG and no child ready returns [0, 0]', async () => {
    const pid = spawnSh('exec sleep 30');
    expect(os.waitpid(pid, os.WNOHANG)).toEqual([0, 0]);
    expect(os.waitpid(-1, os.WNOHANG)).toEqual([0, 0]);
    os.kill(pid, 'SIGKILL');
    expect(os.WTERMSIG(reap(pid))).toBe(9);
  });

  test("wait4 returns [pid, status, rusage] with Python's struct_rusage fields", () => {
    const pid = spawnSh('i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 3');
    const [got, status, ru] = os.wait4(pid, 0);
    expect([got, status]).toEqual([pid, 3 << 8]);
    expect(Object.keys(ru)).toEqual(RUSAGE_FIELDS);
    for (const f of RUSAGE_FIELDS) expect(ru[f as keyof os.Rusage]).toBeGreaterThanOrEqual(0);
    expect(ru.ru_maxrss).toBeGreaterThan(0);
    expect(ru.ru_utime + ru.ru_stime).toBeGreaterThan(0);
  });

  test('wait3 and wait4 with WNOHANG and nothing ready return [0, 0, rusage of zeros]', () => {
    const pid = spawnSh('exec sleep 30');
    const zeros = Object.fromEntries(RUSAGE_FIELDS.map((f) => [f, 0]));
    expect(os.wait3(os.WNOHANG)).toEqual([0, 0, zeros]);
    expect(os.wait4(pid, os.WNOHANG)).toEqual([0, 0, zeros]);
    os.kill(pid, 9);
    reap(pid);
  });

  test('waitid with WNOHANG and nothing ready returns null; WNOWAIT leaves the child waitable', async () => {
    const pid = spawnSh('exit 0');
    const running = spawnSh('exec sleep 30');
    try {
      expect(os.waitid(os.P_PID, running, os.WEXITED | os.WNOHANG)).toBeNull();
      await untilState(pid, 'Z');
      const peek = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT);
      expect(peek).toEqual(expect.objectContaining({ si_pid: pid, si_code: os.CLD_EXITED }));
    } finally {
      expect(reap(pid)).toBe(0); // still there to reap
      os.kill(running, 9);
      reap(running);
    }
  });

  test('waitid(P_PGID) waits for a member of the group', () => {
    const leader = spawnSh('exit 8', { setpgroup: 0 });
    expect(os.waitid(os.P_PGID, leader, os.WEXITED)).toEqual(expect.objectContaining({ si_pid: leader, si_status: 8 }));
  });
});

describe('documented errors', () => {
  test('waitpid on a process that is not our child throws ECHILD', () => {
    expect(() => os.waitpid(1, 0)).toThrow(expect.objectContaining({ code: 'ECHILD', errno: -10, syscall: 'waitpid', message: 'waitpid ECHILD' }));
    expect(() => os.wait4(1, 0)).toThrow(expect.objectContaining({ code: 'ECHILD', syscall: 'wait4' }));
    expect(() => os.waitid(os.P_PID, 1, os.WEXITED)).toThrow(expect.objectContaining({ code: 'ECHILD', syscall: 'waitid' }));
  });

  test('waitpid of an already reaped child throws ECHILD', () => {
    const pid = spawnSh('exit 0');
    reap(pid);
    expect(() => os.waitpid(pid, 0)).toThrow(expect.objectContaining({ code: 'ECHILD' }));
  });

  test('invalid option bits throw EINVAL from the kernel', () => {
    expect(() => os.waitpid(-1, os.WNOWAIT)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'waitpid' }));
    expect(() => os.waitid(os.P_ALL, 0, 0)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'waitid' }));
    expect(() => os.waitid(99, 0, os.WEXITED)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  test('waitid(P_PIDFD) of a descriptor that is not a pidfd throws EBADF or EINVAL', () => {
    const fd = fs.openSync('/dev/null', 'r');
    try {
      expect(() => os.waitid(os.P_PIDFD, fd, os.WEXITED)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('bad arguments', () => {
  test.each([
    ['a string pid', 'ERR_INVALID_ARG_TYPE', 'pid', () => os.waitpid('1' as unknown as number, 0)],
    ['a fractional pid', 'ERR_OUT_OF_RANGE', 'pid', () => os.waitpid(1.5, 0)],
    ['a pid beyond int32', 'ERR_OUT_OF_RANGE', 'pid', () => os.waitpid(2 ** 31, 0)],
    ['NaN options', 'ERR_OUT_OF_RANGE', 'options', () => os.waitpid(1, NaN)],
    ['string options', 'ERR_INVALID_ARG_TYPE', 'options', () => os.waitpid(1, 'WNOHANG' as unknown as number)],
    ['wait3 without options', 'ERR_INVALID_ARG_TYPE', 'options', () => (os.wait3 as (o?: number) => unknown)()],
    ['wait4 with a bigint pid', 'ERR_INVALID_ARG_TYPE', 'pid', () => os.wait4(1n as unknown as number, 0)],
    ['waitid with a string idtype', 'ERR_INVALID_ARG_TYPE', 'idtype', () => os.waitid('P_ALL' as unknown as number, 0, 4)],
    ['waitid with a negative id', 'ERR_OUT_OF_RANGE', 'id', () => os.waitid(os.P_PID, -1, 4)],
    ['waitid with id beyond id_t', 'ERR_OUT_OF_RANGE', 'id', () => os.waitid(os.P_PID, 2 ** 32, 4)],
    ['waitid with fractional options', 'ERR_OUT_OF_RANGE', 'options', () => os.waitid(os.P_ALL, 0, 4.5)],
  ])('%s is rejected with %s naming %s', (_what, code, name, call) => {
    expect(call).toThrow(expect.objectContaining({ code, message: expect.stringContaining(`"${name}"`) }));
  });
});

