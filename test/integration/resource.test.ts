// unixproc/resource (issue 13), translated from CPython's test_resource (ResourceTest):
// each case names the CPython test; same inputs, same assertions. Limits that cannot be
// raised again once lowered are changed in a child process, never in the jest worker.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as resource from '../../lib/resource';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs `code` in a new node process with lib/resource as `resource`; returns its stdout. */
function inChild(code: string): string {
  const script = `require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))}); const resource = require(${JSON.stringify(path.join(ROOT, 'lib/resource'))}); ${code}`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status} ${r.signal}): ${r.stderr}`);
  return r.stdout;
}

const typeError = expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' });

describe('ResourceTest (test_resource)', () => {
  test('test_args: missing arguments are TypeErrors', () => {
    // (getrlimit(42, 42) and setrlimit(42, 42, 42): extra arguments, ignored by JavaScript
    // calls; setrlimit(42, 42) is a TypeError for its non-array limits.)
    expect(() => (resource.getrlimit as () => unknown)()).toThrow(typeError);
    expect(() => (resource.setrlimit as () => unknown)()).toThrow(typeError);
    expect(() => resource.setrlimit(42, 42 as unknown as resource.Limits)).toThrow(typeError);
  });

  test('test_fsize_ismax: the hard RLIMIT_FSIZE is RLIM_INFINITY and can be set back as it is', () => {
    const [cur, max] = resource.getrlimit(resource.RLIMIT_FSIZE);
    expect(resource.RLIM_INFINITY).toBe(max);
    resource.setrlimit(resource.RLIMIT_FSIZE, [cur, max]);
    expect(resource.getrlimit(resource.RLIMIT_FSIZE)).toEqual([cur, max]);
  });

  test('test_fsize_enforced: past a 1024-byte RLIMIT_FSIZE, a write fails with EFBIG (SIGXFSZ is ignored by Node)', () => {
    const file = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'unixproc-rl-')), 'TESTFN');
    try {
      const out = inChild(`
        const fs = require('node:fs');
        const [cur, max] = resource.getrlimit(resource.RLIMIT_FSIZE);
        resource.setrlimit(resource.RLIMIT_FSIZE, [1024, max]);
        const fd = fs.openSync(${JSON.stringify(file)}, 'w');
        fs.writeSync(fd, Buffer.alloc(1024, 'X'));
        let code = 'no error'; try { fs.writeSync(fd, 'Y'); } catch (e) { code = e.code; }
        resource.setrlimit(resource.RLIMIT_FSIZE, [cur, max]);
        fs.closeSync(fd);
        console.log(code);
      `);
      expect(out.trim()).toBe('EFBIG');
      expect(fs.statSync(file).size).toBe(1024);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  test('test_fsize_toobig: a limit too big for rlim_t is refused (OverflowError/ValueError)', () => {
    const tooBig = 10 ** 50;
    const [, max] = resource.getrlimit(resource.RLIMIT_FSIZE);
    expect(() => resource.setrlimit(resource.RLIMIT_FSIZE, [tooBig, max])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => resource.setrlimit(resource.RLIMIT_FSIZE, [max, tooBig])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('test_getrusage: RUSAGE_SELF, RUSAGE_CHILDREN and RUSAGE_THREAD, with struct_rusage fields', () => {
    expect(() => (resource.getrusage as () => unknown)()).toThrow(typeError);
    const usageself = resource.getrusage(resource.RUSAGE_SELF);
    const usagechildren = resource.getrusage(resource.RUSAGE_CHILDREN);
    const usageThread = resource.getrusage(resource.RUSAGE_THREAD);
    const fields = ['ru_utime', 'ru_stime', 'ru_maxrss', 'ru_ixrss', 'ru_idrss', 'ru_isrss', 'ru_minflt', 'ru_majflt', 'ru_nswap',
      'ru_inblock', 'ru_oublock', 'ru_msgsnd', 'ru_msgrcv', 'ru_nsignals', 'ru_nvcsw', 'ru_nivcsw'];
    for (const u of [usageself, usagechildren, usageThread]) expect(Object.keys(u)).toEqual(fields);
    // this process has run JavaScript: some CPU time and a resident set above a megabyte
    expect(usageself.ru_utime + usageself.ru_stime).toBeGreaterThan(0);
    expect(usageself.ru_maxrss).toBeGreaterThan(1024);
    expect(usageThread.ru_utime).toBeLessThanOrEqual(usageself.ru_utime + 0.01);
    // the same figures as process.resourceUsage() (libuv's getrusage(RUSAGE_SELF)), within the time between the calls
    const node = process.resourceUsage();
    expect(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).toBeLessThanOrEqual(node.maxRSS + 4096);
    expect(() => resource.getrusage(99)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'getrusage' }));
  });

  test('test_setrusage_refcount: setrlimit(RLIMIT_CPU, [1000000, 1000000]) takes (in a child)', () => {
    const out = inChild('resource.setrlimit(resource.RLIMIT_CPU, [1000000, 1000000]); console.log(JSON.stringify(resource.getrlimit(resource.RLIMIT_CPU)));');
    expect(JSON.parse(out)).toEqual([1000000, 1000000]);
  });

  test('test_pagesize: a positive int, the kernel page size', () => {
    const pagesize = resource.getpagesize();
    expect(Number.isInteger(pagesize)).toBe(true);
    expect(pagesize).toBeGreaterThanOrEqual(0);
    // /proc/self/smaps reports the page size of each mapping
    expect(fs.readFileSync('/proc/self/smaps', 'utf8')).toMatch(new RegExp(`^KernelPageSize:\\s+${pagesize / 1024} kB$`, 'm'));
  });

  test('test_linux_constants: MSGQUEUE, NICE, RTPRIO, RTTIME, SIGPENDING are ints', () => {
    for (const v of [resource.RLIMIT_MSGQUEUE, resource.RLIMIT_NICE, resource.RLIMIT_RTPRIO, resource.RLIMIT_RTTIME, resource.RLIMIT_SIGPENDING]) {
      expect(Number.isInteger(v)).toBe(true);
    }
  });

  test('test_prlimit: no such process, and get/set return the limits as they were', () => {
    expect(() => (resource.prlimit as () => unknown)()).toThrow(typeError);
    expect(() => resource.prlimit(-1, resource.RLIMIT_AS)).toThrow(expect.objectContaining({ code: 'ESRCH' })); // ProcessLookupError
    const limit = resource.getrlimit(resource.RLIMIT_AS);
    expect(resource.prlimit(0, resource.RLIMIT_AS)).toEqual(limit);
    expect(resource.prlimit(0, resource.RLIMIT_AS, limit)).toEqual(limit);
  });

  test('test_prlimit_refcount: prlimit(0, RLIMIT_AS, limits) returns the old limits (in a child)', () => {
    const out = inChild(`
      const limits = resource.getrlimit(resource.RLIMIT_AS);
      const next = limits.map((lim) => (lim > 0 ? lim - 1 : lim));
      console.log(JSON.stringify([resource.prlimit(0, resource.RLIMIT_AS, next), limits, resource.getrlimit(resource.RLIMIT_AS), next]));
    `);
    const [returned, limits, now, next] = JSON.parse(out);
    expect(returned).toEqual(limits);
    expect(now).toEqual(next);
  });
});

describe('beyond ResourceTest', () => {
  test('RLIM_INFINITY is -1 and the RLIMIT_* values are the kernel\'s, as Python on Linux', () => {
    expect(resource.RLIM_INFINITY).toBe(-1);
    expect([resource.RLIMIT_CPU, resource.RLIMIT_FSIZE, resource.RLIMIT_DATA, resource.RLIMIT_STACK, resource.RLIMIT_CORE,
      resource.RLIMIT_RSS, resource.RLIMIT_NPROC, resource.RLIMIT_NOFILE, resource.RLIMIT_OFILE, resource.RLIMIT_MEMLOCK,
      resource.RLIMIT_AS, resource.RLIMIT_SIGPENDING, resource.RLIMIT_MSGQUEUE, resource.RLIMIT_NICE, resource.RLIMIT_RTPRIO,
      resource.RLIMIT_RTTIME]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 11, 12, 13, 14, 15]);
    expect([resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN, resource.RUSAGE_THREAD]).toEqual([0, -1, 1]);
  });

  test('getrlimit agrees with /proc/self/limits', () => {
    const limits = fs.readFileSync('/proc/self/limits', 'utf8');
    const row = (name: string): number[] => {
      const m = new RegExp(`^${name}\\s+(\\S+)\\s+(\\S+)`, 'm').exec(limits)!;
      return [m[1], m[2]].map((v) => (v === 'unlimited' ? -1 : Number(v)));
    };
    expect(resource.getrlimit(resource.RLIMIT_NOFILE)).toEqual(row('Max open files'));
    expect(resource.getrlimit(resource.RLIMIT_CORE)).toEqual(row('Max core file size'));
    expect(resource.getrlimit(resource.RLIMIT_STACK)).toEqual(row('Max stack size'));
  });

  test('kernel refusals come back as its errno: unknown resource EINVAL, soft above hard EINVAL', () => {
    expect(() => resource.getrlimit(99)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'getrlimit' }));
    const [, hard] = resource.getrlimit(resource.RLIMIT_NOFILE);
    expect(() => resource.setrlimit(resource.RLIMIT_NOFILE, [hard + 1, hard])).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'setrlimit' }));
    expect(() => resource.setrlimit(resource.RLIMIT_NOFILE, [-2, hard])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => resource.setrlimit(resource.RLIMIT_NOFILE, [1, 2, 3] as unknown as resource.Limits)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  test('prlimit sets the limit of another process, as /proc/PID/limits shows', async () => {
    const child = require('node:child_process').spawn('sleep', ['30']);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const before = resource.prlimit(child.pid, resource.RLIMIT_CORE, [0, 0]);
      expect(before).toEqual(resource.getrlimit(resource.RLIMIT_CORE));
      expect(fs.readFileSync(`/proc/${child.pid}/limits`, 'utf8')).toMatch(/^Max core file size\s+0\s+0\s/m);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});
