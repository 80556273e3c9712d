// The `limits` option (issue 10): resource limits set in the child before exec, by name,
// with prlimit(1)'s semantics; checked with the shell's own ulimit in the child.
import { spawn } from '../../lib/spawn';
import type { SpawnOptions } from '../../lib/spawn';
import { readFileSync } from 'node:fs';
import { readAll } from '../helpers/spawn-helpers';

async function ulimits(flags: string, options: SpawnOptions): Promise<string[]> {
  const script = flags.split(' ').map((f) => `ulimit ${f}`).join('; ');
  const child = spawn('/bin/sh', ['-c', script], { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const out = await readAll(child.stdout!);
  await expect(child.wait()).resolves.toEqual({ kind: 'exited', code: 0 });
  return String(out).trim().split('\n');
}

test('[soft, hard] sets each; one number sets both', async () => {
  expect(await ulimits('-Sn -Hn', { limits: { nofile: [100, 200] } })).toEqual(['100', '200']);
  expect(await ulimits('-Sc -Hc', { limits: { core: 0 } })).toEqual(['0', '0']);
});

test('Infinity is unlimited', async () => {
  expect(await ulimits('-Sc', { limits: { core: Infinity } })).toEqual(['unlimited']);
});

test.each(['cgroup', 'subreaper'] as const)('a contained child (%s) gets the limits too', async (mechanism) => {
  expect(await ulimits('-Sn', { limits: { nofile: 77 }, contain: mechanism })).toEqual(['77']);
});

test("a limit the kernel refuses is the system error of the child's setrlimit", () => {
  // Above fs.nr_open: EPERM, even for root (setrlimit(2)).
  expect(() => spawn('/bin/true', [], { limits: { nofile: 2 ** 40 } })).toThrow(
    expect.objectContaining({ code: 'EPERM', syscall: 'setrlimit' }),
  );
});

test('limits are validated: the name, the values, soft <= hard', () => {
  expect(() => spawn('/bin/true', [], { limits: { files: 1 } as never })).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('options.limits.files') }),
  );
  expect(() => spawn('/bin/true', [], { limits: { nofile: [200, 100] } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => spawn('/bin/true', [], { limits: { nofile: -1 } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => spawn('/bin/true', [], { limits: { nofile: '1' as never } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => spawn('/bin/true', [], { limits: [] as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
});

describe('cgroup limits (memoryMax, pidsMax, cpuMax)', () => {
  test('need contain: cgroup', () => {
    for (const options of [{}, { contain: 'subreaper' as const }]) {
      expect(() => spawn('/bin/true', [], { ...options, limits: { pidsMax: 5 } })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("needs contain: 'cgroup'") }),
      );
    }
  });

  test('are validated', () => {
    expect(() => spawn('/bin/true', [], { contain: 'cgroup', limits: { pidsMax: 0 } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => spawn('/bin/true', [], { contain: 'cgroup', limits: { cpuMax: -1 } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => spawn('/bin/true', [], { contain: 'cgroup', limits: { memoryMax: '1G' as never } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('pids.max where the pids controller is on the cgroup2 hierarchy; else an error naming it and what is there', async () => {
    const { ownCgroupDir } = await import('../../lib/contain/cgroup');
    const offered = readFileSync(`${ownCgroupDir()}/cgroup.controllers`, 'latin1').trim().split(/\s+/);
    if (!offered.includes('pids')) {
      // This machine's hybrid hierarchy: only what cgroup.controllers lists (hugetlb here).
      expect(() => spawn('/bin/true', [], { contain: 'cgroup', limits: { pidsMax: 5 } })).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_VALUE',
          message: expect.stringMatching(/needs the pids controller.*cgroup\.controllers of .*: /),
        }),
      );
      return;
    }
    // 5 processes at most: the shell and 4 sleeps; the 5th background sleep fails to fork.
    const child = spawn('/bin/sh', ['-c', 'for i in 1 2 3 4 5 6; do sleep 300 & done; wait'], {
      contain: 'cgroup', limits: { pidsMax: 5 }, stdio: ['ignore', 'ignore', 'ignore'],
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(child.members().length).toBeLessThanOrEqual(5);
    await child.terminate({ killGracePeriod: 0 });
  });
});

describe("the 'oom' event", () => {
  // memory.events exists in the child's cgroup only where the memory controller is on the
  // cgroup2 hierarchy and enabled for the owner cgroup's children.
  function memoryOffered(): boolean {
    const probe = spawn('/bin/sleep', ['300'], { contain: 'cgroup' });
    const dir = readFileSync(`/proc/${probe.pid}/cgroup`, 'latin1').split('\n').find((l) => l.startsWith('0::'))!.slice(3);
    probe.kill('SIGKILL');
    const mount = readFileSync('/proc/self/mountinfo', 'latin1').split('\n').find((l) => / - cgroup2 /.test(l))!.split(' ')[4];
    return readFileSync(`${mount}${dir}/../cgroup.controllers`, 'latin1').split(/\s+/).includes('memory');
  }

  test('fires when the OOM killer ends a process of the tree (memoryMax), or is refused with the reason where there is no memory controller', async () => {
    if (memoryOffered()) {
      const child = spawn('python3', ['-c', 'b = bytearray(256 << 20)'], { contain: 'cgroup', limits: { memoryMax: 32 << 20 } });
      const events: { oomKill: number; killed: number }[] = [];
      child.on('oom', (e) => events.push(e));
      await expect(child.wait()).resolves.toEqual({ kind: 'signaled', signal: 'SIGKILL', coreDumped: false });
      await child.terminate();
      expect(events.length).toBeGreaterThan(0);
      expect(events[0].killed).toBeGreaterThan(0);
    } else {
      const child = spawn('/bin/sleep', ['300'], { contain: 'cgroup' });
      try {
        const offered = readFileSync('/proc/self/mountinfo', 'latin1').includes(' - cgroup2 ') ? 'cgroup.controllers offers: ' : '';
        expect(() => child.on('oom', () => undefined)).toThrow(
          expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining(`needs the memory controller on the cgroup2 hierarchy`) }),
        );
        expect(() => child.on('oom', () => undefined)).toThrow(expect.objectContaining({ message: expect.stringContaining(offered) }));
      } finally {
        await child.terminate({ killGracePeriod: 0 });
      }
    }
  });

  test('a subreaper-contained child has no memory.events: refused, naming why; a bad event or listener is a TypeError/RangeError-shaped ERR_*', async () => {
    const child = spawn('/bin/sleep', ['300'], { contain: 'subreaper' });
    try {
      expect(() => child.on('oom', () => undefined)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("needs contain: 'cgroup' (this child is contained by subreaper") }),
      );
      expect(() => child.on('exit' as 'oom', () => undefined)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(() => child.on('oom', 42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    } finally {
      await child.terminate({ killGracePeriod: 0 });
    }
  });
});
