// Scheduling calls of unixproc/os (issue 13), translated from CPython's test_posix
// (PosixTester's sched tests) and test_os (ProgramPriorityTests): each case names the
// CPython test; same inputs, same assertions. OSError(errno) is a system error with that
// code; OverflowError / ValueError on a C range are ERR_OUT_OF_RANGE; TypeError is
// ERR_INVALID_ARG_TYPE.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as os from '../../lib/os';

const ROOT = path.resolve(__dirname, '..', '..');
const systemError = (code?: string): ReturnType<typeof expect.objectContaining> => expect.objectContaining(code === undefined ? { errno: expect.any(Number), syscall: expect.any(String) } : { code });
const POLICIES = [os.SCHED_OTHER, os.SCHED_FIFO, os.SCHED_RR, os.SCHED_BATCH, os.SCHED_IDLE, os.SCHED_RESET_ON_FORK];

/** Runs `code` in a new node process with lib/os as `os`; returns its stdout. */
function inChild(code: string): string {
  const script = `require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))}); const os = require(${JSON.stringify(path.join(ROOT, 'lib/os'))}); ${code}`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status} ${r.signal}): ${r.stderr}`);
  return r.stdout;
}

describe('PosixTester (test_posix)', () => {
  test('test_sched_yield: no error conditions on Linux', () => {
    expect(os.sched_yield()).toBeUndefined();
  });

  test('test_sched_priority: SCHED_RR min <= max, both ints; an unknown policy is an OSError', () => {
    const lo = os.sched_get_priority_min(os.SCHED_RR);
    const hi = os.sched_get_priority_max(os.SCHED_RR);
    expect([Number.isInteger(lo), Number.isInteger(hi)]).toEqual([true, true]);
    expect(hi).toBeGreaterThanOrEqual(lo);
    expect(() => os.sched_get_priority_min(-23)).toThrow(systemError('EINVAL'));
    expect(() => os.sched_get_priority_max(-23)).toThrow(systemError('EINVAL'));
  });

  test('test_get_and_set_scheduler_and_param', () => {
    const mine = os.sched_getscheduler(0);
    expect(POLICIES).toContain(mine);
    let parent: number | undefined;
    try {
      parent = os.sched_getscheduler(os.getppid());
    } catch (e) {
      expect((e as { code: string }).code).toBe('EPERM'); // PermissionError
    }
    if (parent !== undefined) expect(POLICIES).toContain(parent);
    expect(() => os.sched_getscheduler(-1)).toThrow(systemError());
    expect(() => os.sched_getparam(-1)).toThrow(systemError());
    let param = os.sched_getparam(0);
    expect(Number.isInteger(param.sched_priority)).toBe(true);
    try {
      os.sched_setscheduler(0, mine, param);
      os.sched_setparam(0, param);
    } catch (e) {
      expect((e as { code: string }).code).toBe('EPERM');
    }
    expect(() => os.sched_setparam(-1, param)).toThrow(systemError());
    expect(() => os.sched_setscheduler(-1, mine, param)).toThrow(systemError());
    expect(() => os.sched_setscheduler(0, mine, null as unknown as os.sched_param)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => os.sched_setparam(0, 43 as unknown as os.sched_param)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    // posix.sched_param(None): a TypeError when used in CPython; when made here
    expect(() => new os.sched_param(null as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const large = 214748364700;
    param = new os.sched_param(large);
    expect(() => os.sched_setparam(0, param)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    param = new os.sched_param(-large);
    expect(() => os.sched_setparam(0, param)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('test_sched_param: sched_priority as given', () => {
    expect(new os.sched_param(1)).toEqual(new os.sched_param(1)); // (the pickle round trip: a plain value)
    const param = new os.sched_param(0);
    expect(param.sched_priority).toBe(0);
  });

  test('test_sched_rr_get_interval: a float in [0, 1)', () => {
    const interval = os.sched_rr_get_interval(0);
    expect(typeof interval).toBe('number');
    expect(interval).toBeGreaterThanOrEqual(0);
    expect(interval).toBeLessThan(1);
  });

  test('test_sched_getaffinity: a non-empty Set of cpu numbers; pid -1 is an OSError', () => {
    const mask = os.sched_getaffinity(0);
    expect(mask).toBeInstanceOf(Set);
    expect(mask.size).toBeGreaterThanOrEqual(1);
    expect(() => os.sched_getaffinity(-1)).toThrow(systemError());
    for (const cpu of mask) {
      expect(Number.isInteger(cpu)).toBe(true);
      expect(cpu).toBeGreaterThanOrEqual(0);
      expect(cpu).toBeLessThan(2 ** 32);
    }
    // the same set as the kernel's Cpus_allowed_list
    const list = /Cpus_allowed_list:\s*(\S+)/.exec(require('node:fs').readFileSync('/proc/thread-self/status', 'utf8'))![1];
    const expected = list.split(',').flatMap((part: string) => {
      const [a, b] = part.split('-').map(Number);
      return Array.from({ length: (b ?? a) - a + 1 }, (_, k) => a + k);
    });
    expect([...mask].sort((x, y) => x - y)).toEqual(expected);
  });

  test('test_sched_setaffinity (in a child process, whose affinity it changes)', () => {
    const out = inChild(`
      const mask = os.sched_getaffinity(0);
      if (mask.size > 1) mask.delete([...mask].pop());
      os.sched_setaffinity(0, mask);
      const after = [...os.sched_getaffinity(0)];
      let empty = 'no error'; try { os.sched_setaffinity(0, []); } catch (e) { empty = e.code; }
      const codes = [[-10], ['0', 'X'], [2 ** 128]].map((m) => { try { os.sched_setaffinity(0, m); return 'no error'; } catch (e) { return e.code; } });
      let bad = 'no error'; try { os.sched_setaffinity(-1, mask); } catch (e) { bad = e.code; }
      console.log(JSON.stringify({ same: JSON.stringify(after) === JSON.stringify([...mask]), empty, codes, bad }));
    `);
    expect(JSON.parse(out)).toEqual({
      same: true,
      empty: 'EINVAL',
      // ValueError (negative cpu), ValueError (not an int: a TypeError here), OverflowError
      codes: ['ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE'],
      bad: 'ESRCH',
    });
  });
});

describe('ProgramPriorityTests (test_os)', () => {
  test('test_set_get_priority: a child that raises its nice value by 1 reads base + 1', () => {
    const base = os.getpriority(os.PRIO_PROCESS, process.pid);
    const newPrio = Number(inChild(`os.setpriority(os.PRIO_PROCESS, process.pid, ${base} + 1); console.log(os.getpriority(os.PRIO_PROCESS, process.pid));`));
    if (base >= 19 && newPrio <= base) return; // CPython skips: nice value cap
    expect(newPrio).toBe(base + 1);
  });
});

describe('nice, PRIO_*, abort', () => {
  test('nice(increment) returns the new nice value, as getpriority sees it', () => {
    const out = inChild('const before = os.getpriority(os.PRIO_PROCESS, 0); const after = os.nice(2); console.log(JSON.stringify([after - before, os.getpriority(os.PRIO_PROCESS, 0) === after, os.nice(0) === after]));');
    expect(JSON.parse(out)).toEqual([2, true, true]);
  });

  test('PRIO_* have the kernel values; an unknown which is EINVAL, a missing process ESRCH', () => {
    expect([os.PRIO_PROCESS, os.PRIO_PGRP, os.PRIO_USER]).toEqual([0, 1, 2]);
    // a group's value is the lowest nice value among its members, this process included
    expect(os.getpriority(os.PRIO_PGRP, 0)).toBeLessThanOrEqual(os.getpriority(os.PRIO_PROCESS, 0));
    expect(os.getpriority(os.PRIO_PGRP, 0)).toBeGreaterThanOrEqual(-20);
    expect(() => os.getpriority(7, 0)).toThrow(systemError('EINVAL'));
    expect(() => os.getpriority(os.PRIO_PROCESS, 2 ** 31 - 1)).toThrow(systemError('ESRCH'));
    expect(() => os.setpriority(os.PRIO_PROCESS, 2 ** 31 - 1, 0)).toThrow(systemError('ESRCH'));
    expect(() => os.getpriority(os.PRIO_PROCESS, 2 ** 31)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('abort() ends the process with SIGABRT', () => {
    const script = `require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))});
      const r = require(${JSON.stringify(path.join(ROOT, 'lib/resource'))}); r.setrlimit(r.RLIMIT_CORE, [0, 0]);
      require(${JSON.stringify(path.join(ROOT, 'lib/os'))}).abort(); console.log('still here');`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
    expect([r.signal, r.stdout]).toEqual(['SIGABRT', '']);
  });
});
