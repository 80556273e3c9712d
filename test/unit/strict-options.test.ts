// Every options object, at every level, rejects a key it does not know: ERR_INVALID_ARG_VALUE
// naming the key and the closest known one (docs/conventions.md). Nothing starts.
import {
  findDaemons,
  findOrphans,
  findZombies,
  getProcess,
  isRunning,
  listProcesses,
  openFds,
  orphanedProcessGroups,
  processTree,
  run,
  spawn,
  startLeakGuard,
  stateSummary,
  supervise,
  daemonize,
  threads,
  waitForExit,
  processUsage,
  ContainedSubprocess,
} from '../../lib/index';
import { fork, posix_spawn, register_at_fork } from '../../lib/os/index';
import { leakGuard } from '../../lib/integrations/node-test/index';
import { closestKey, editDistance, validateOptions } from '../../lib/validate';
import { childrenOf } from '../helpers/os-core-children';

type Call = () => unknown;

// [what, call, the misspelt key as named in the error, the suggestion]
const cases: [string, Call, string, string][] = [
  ['spawn', () => spawn('/bin/true', [], { killSignl: 'SIGINT' } as never), 'options.killSignl', 'killSignal'],
  ['run', () => run('/bin/true', [], { captur: true } as never), 'options.captur', 'capture'],
  ['supervise', () => supervise('/bin/true', [], { restrat: 'always' } as never), 'options.restrat', 'restart'],
  ['supervise backoff', () => supervise('/bin/true', [], { backoff: { initail: 5 } } as never), 'options.backoff.initail', 'initial'],
  ['supervise startLimit', () => supervise('/bin/true', [], { startLimit: { windw: 5 } } as never), 'options.startLimit.windw', 'window'],
  ['daemonize', () => daemonize('/bin/true', [], { pidfle: '/tmp/x' } as never), 'options.pidfle', 'pidfile'],
  ['startLeakGuard', () => startLeakGuard({ subraeper: false } as never), 'options.subraeper', 'subreaper'],
  ['node-test leakGuard', () => leakGuard({ kil: false } as never), 'options.kil', 'kill'],
  ['listProcesses', () => listProcesses({ cmdlin: true } as never), 'options.cmdlin', 'cmdline'],
  ['getProcess', () => getProcess(process.pid, { procf: '/proc' } as never), 'options.procf', 'procfs'],
  ['isRunning', () => isRunning({ pid: 1, startTime: 0 }, { prcfs: '/proc' } as never), 'options.prcfs', 'procfs'],
  ['processTree', () => processTree(undefined, { procfss: '/proc' } as never), 'options.procfss', 'procfs'],
  ['threads', () => threads(process.pid, { porcfs: '/proc' } as never), 'options.porcfs', 'procfs'],
  ['openFds', () => openFds(process.pid, { procsf: '/proc' } as never), 'options.procsf', 'procfs'],
  ['stateSummary', () => stateSummary({ Procfs: '/proc' } as never), 'options.Procfs', 'procfs'],
  ['orphanedProcessGroups', () => orphanedProcessGroups({ procfs_: '/proc' } as never), 'options.procfs_', 'procfs'],
  ['findZombies', () => findZombies({ subreaper: [] } as never), 'options.subreaper', 'subreapers'],
  ['findOrphans', () => findOrphans({ subreapres: [] } as never), 'options.subreapres', 'subreapers'],
  ['findDaemons', () => findDaemons({ subreeapers: [] } as never), 'options.subreeapers', 'subreapers'],
  ['posix_spawn', () => posix_spawn('/bin/true', ['true'], {}, { setsd: true } as never), 'options.setsd', 'setsid'],
  ['register_at_fork', () => register_at_fork({ befor: () => undefined } as never), 'options.befor', 'before'],
  ['fork', () => fork({ unsafeAllowThread: true } as never), 'options.unsafeAllowThread', 'unsafeAllowThreads'],
  ['spawn contain', () => spawn('/bin/true', [], { contian: true } as never), 'options.contian', 'contain'],
  ['spawn limits', () => spawn('/bin/true', [], { limits: { nofiel: 5 } } as never), 'options.limits.nofiel', 'nofile'],
  ['spawn cgroup limits', () => spawn('/bin/true', [], { contain: 'cgroup', limits: { memoryMx: 5 } } as never), 'options.limits.memoryMx', 'memoryMax'],
  ['supervise contain', () => supervise('/bin/true', [], { contan: false } as never), 'options.contan', 'contain'],
  ['processUsage', () => processUsage(process.pid, { tre: true } as never), 'options.tre', 'tree'],
  ['processUsage fullMemory', () => processUsage(process.pid, { fullMemroy: true } as never), 'options.fullMemroy', 'fullMemory'],
];

describe('an unknown option key', () => {
  test.each(cases)('of %s is ERR_INVALID_ARG_VALUE naming the key and the closest known one', async (_what, call, key, near) => {
    const before = childrenOf(process.pid).length;
    let error: unknown;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    expect((error as Error).message).toContain(`'${key}'`);
    expect((error as Error).message).toContain(`did you mean '${near}'?`);
    expect(childrenOf(process.pid).length).toBe(before);
  });

  test('of the leak guard clean-up is rejected before anything is signalled', async () => {
    const guard = startLeakGuard({ subreaper: false });
    try {
      await expect(guard.cleanup({ graec: 5 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
      expect(() => guard.cleanupSync({ timeuot: 5 } as never)).toThrow(/'options.timeuot' is not a known option \(did you mean 'timeout'\?\)/);
    } finally {
      guard.dispose();
    }
  });

  test('of Subprocess.terminate and Supervisor.terminate is thrown before anything is signalled', async () => {
    const child = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
    const sup = supervise('/bin/sleep', ['300']);
    try {
      expect(() => child.terminate({ killSignl: 'SIGINT' } as never)).toThrow(/'options.killSignl' is not a known option \(did you mean 'killSignal'\?\)/);
      expect(() => sup.terminate({ killGracePeriods: 5 } as never)).toThrow(/did you mean 'killGracePeriod'\?/);
      expect([child.kill(0), sup.state]).toEqual([true, 'running']);
    } finally {
      await child.terminate();
      await sup.terminate();
    }
  });

  test('of ContainedSubprocess kill, usage and terminate is thrown before anything is signalled', async () => {
    const child = spawn('/bin/sleep', ['300'], { stdio: 'ignore', contain: 'subreaper' });
    try {
      expect(child).toBeInstanceOf(ContainedSubprocess);
      expect(() => child.kill('SIGTERM', { tre: true } as never)).toThrow(/'options.tre' is not a known option \(did you mean 'tree'\?\)/);
      expect(() => child.usage({ fullMemry: true } as never)).toThrow(/did you mean 'fullMemory'\?/);
      expect(() => child.terminate({ killSignl: 'SIGINT' } as never)).toThrow(/did you mean 'killSignal'\?/);
      expect(child.kill(0)).toBe(true);
    } finally {
      await child.terminate();
    }
  });

  test('of waitForExit rejects', async () => {
    await expect(waitForExit(process.pid, { rep: true } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringContaining("did you mean 'reap'?"),
    });
  });

  test('far from every known key lists the known keys instead of guessing', () => {
    expect(() => listProcesses({ bogusOption: true } as never)).toThrow(
      "The property 'options.bogusOption' is not a known option (the options are 'procfs', 'procfsFixture', 'cmdline', 'exe', 'credentials'). Received true",
    );
  });

  test('is rejected even when its value is undefined', () => {
    expect(() => spawn('/bin/true', [], { bogus: undefined } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('validateOptions', () => {
  test('a renamed key names its new name', () => {
    expect(() => validateOptions<{ killSignal: string }>({ stopSignal: 'SIGINT' }, 'options', ['killSignal'], { stopSignal: 'killSignal' })).toThrow(
      "The property 'options.stopSignal' was renamed 'killSignal' (see docs/conventions.md). Received 'SIGINT'",
    );
  });

  test('known keys pass and the object is returned as it is', () => {
    const o = { a: 1 };
    expect(validateOptions<{ a: number; b: number }>(o, 'options', ['a', 'b'])).toBe(o);
  });

  test('keys on the prototype chain are not own keys and are not checked', () => {
    const o = Object.create({ inherited: 1 }) as object;
    expect(validateOptions<{ a: number }>(o, 'options', ['a'])).toBe(o);
  });
});

describe('editDistance and closestKey', () => {
  test.each([
    ['initail', 'initial', 1], // a transposition is one edit
    ['killSignl', 'killSignal', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['same', 'same', 0],
  ])('%s -> %s is %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  test('case is ignored when choosing, and a far key gets no suggestion', () => {
    expect(closestKey('KILLSIGNAL', ['killSignal', 'timeout'])).toBe('killSignal');
    expect(closestKey('bogusOption', ['cwd', 'env', 'argv0'])).toBeUndefined();
  });
});
