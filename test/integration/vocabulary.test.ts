// One vocabulary (docs/conventions.md): killSignal / killGracePeriod everywhere, kill() sends
// one signal, terminate() ends gracefully and settles once the process is gone, and every
// former name fails with an error naming the new one (0.x: no silent aliases).
import { daemonize, listProcesses, spawn, startLeakGuard, supervise } from '../../lib/index';
import { childrenOf } from '../helpers/os-core-children';
import { waitFor } from '../helpers/supervise-helpers';

/** The first line `sub`'s stdout prints. */
function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    stream.on('end', () => reject(new Error(`stdout ended before a line: ${JSON.stringify(text)}`)));
  });
}

describe('Subprocess.terminate()', () => {
  test('resolves with the status once the child is gone, ended by killSignal', async () => {
    const child = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
    const status = await child.terminate();
    expect(status).toEqual({ kind: 'signaled', signal: 'SIGTERM', signo: 15, coreDumped: false });
    expect(child.exited).toBe(true);
  });

  test('takes killSignal for this call', async () => {
    const child = spawn('/bin/sleep', ['300'], { stdio: 'ignore', killSignal: 'SIGTERM' });
    await expect(child.terminate({ killSignal: 'SIGINT' })).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGINT' });
  });

  test('escalates to SIGKILL after killGracePeriod when killSignal is ignored', async () => {
    // An ignored signal stays ignored across execve: the sleep ignores SIGTERM and has no
    // child (a shell looping on `sleep 0.05` left its current sleep orphaned here, a zombie
    // once it exited, when SIGKILL ended the shell).
    const child = spawn('/bin/sh', ['-c', 'trap "" TERM; echo ready; exec sleep 300'], { stdio: ['ignore', 'pipe', 'ignore'] });
    expect(await firstLine(child.stdout!)).toBe('ready');
    const status = await child.terminate({ killGracePeriod: 100 });
    expect(status).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    child.stdout!.destroy();
  });

  test('after the child exited it sends nothing and resolves with the same status', async () => {
    const child = spawn('/bin/sh', ['-c', 'exit 5'], { stdio: 'ignore' });
    const exited = await child.wait();
    await expect(child.terminate()).resolves.toBe(exited);
  });

  test('rejects bad options synchronously, before sending anything', async () => {
    const child = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
    try {
      expect(() => child.terminate({ killGracePeriod: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => child.terminate({ grace: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(child.kill(0)).toBe(true); // still running
    } finally {
      await child.terminate();
    }
  });
});

describe('Supervisor: kill() and terminate()', () => {
  // The supervised shells' own children are orphaned when their group is ended and come
  // here (a subreaper): the guard ends and reaps exactly those, by pid, so none is left as
  // a zombie for a later test file's os.wait() in this worker to take.
  let guard: ReturnType<typeof startLeakGuard>;
  beforeAll(() => {
    guard = startLeakGuard();
  });
  afterAll(async () => {
    await guard.cleanup();
    // The supervisors contain their trees (the default): a cgroup counts as empty once its
    // members have exited, which the kernel reports before an exiting shell's zombie children
    // are re-parented here; and a shepherd's own handle reaps it on its exit watch. So look
    // again until no zombie child is left (bounded), reaping the adopted ones each time.
    const zombieChildren = (): string[] =>
      listProcesses().flatMap((p) => (p.readable && p.ppid === process.pid && p.state.letter === 'Z' ? [`${p.pid} ${p.comm}`] : []));
    for (let i = 0; i < 250 && zombieChildren().length > 0; i++) {
      guard.reapAdopted();
      await new Promise((r) => setTimeout(r, 20));
    }
    guard.reapAdopted();
    guard.dispose();
    expect(zombieChildren()).toEqual([]);
  });

  test('terminate({ killSignal }) ends the group with that signal and resolves with the status', async () => {
    const sup = supervise('/bin/sleep', ['300'], { killSignal: 'SIGTERM' });
    await expect(sup.terminate({ killSignal: 'SIGINT' })).resolves.toMatchObject({ kind: 'signaled', signal: 'SIGINT' });
    expect(sup.state).toBe('stopped');
  });

  test('kill() sends one signal and nothing more: the child stays supervised', async () => {
    const sup = supervise('/bin/sh', ['-c', 'trap "" USR1; while :; do sleep 0.05; done']);
    try {
      const pid = sup.pid;
      await waitFor('the trap', () => childrenOf(pid as number).length > 0);
      expect(sup.kill('SIGUSR1')).toBe(true);
      expect(sup.state).toBe('running');
      expect(sup.pid).toBe(pid);
    } finally {
      await sup.terminate();
    }
  });
});

describe('a former name fails with an error naming the new one', () => {
  test.each<[string, () => unknown, RegExp]>([
    ["supervise's stopSignal", () => supervise('/bin/true', [], { stopSignal: 'SIGINT' } as never), /'options.stopSignal' was renamed 'killSignal'/],
    ["supervise's stopTimeout", () => supervise('/bin/true', [], { stopTimeout: 5 } as never), /'options.stopTimeout' was renamed 'killGracePeriod'/],
    ["daemonize's stdout", () => daemonize('/bin/true', [], { stdout: 'ignore' } as never), /'options.stdout' was renamed 'stdio'/],
    ["daemonize's stderr", () => daemonize('/bin/true', [], { stderr: 'ignore' } as never), /'options.stderr' was renamed 'stdio'/],
  ])('%s', (_what, call, message) => {
    const before = childrenOf(process.pid).length;
    expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(message) }));
    expect(childrenOf(process.pid).length).toBe(before);
  });

  test("the leak guard clean-up's grace", async () => {
    const guard = startLeakGuard({ subreaper: false });
    try {
      await expect(guard.cleanup({ grace: 5 } as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringContaining("'options.grace' was renamed 'killGracePeriod'"),
      });
    } finally {
      guard.dispose();
    }
  });

  test('LeakGuard.stop() -> dispose()', () => {
    const guard = startLeakGuard({ subreaper: false });
    try {
      expect(() => (guard as unknown as { stop(): void }).stop()).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: 'LeakGuard.stop() was renamed LeakGuard.dispose() (see docs/conventions.md)' }),
      );
      expect(guard.disposed).toBe(false);
    } finally {
      guard.dispose();
    }
    expect(guard.disposed).toBe(true);
  });

  test('Supervisor.stop() -> terminate(), Supervisor.signal() -> kill()', async () => {
    const sup = supervise('/bin/sleep', ['300']);
    try {
      const old = sup as unknown as { stop(): void; signal(s: string): void };
      expect(() => old.stop()).toThrow('Supervisor.stop() was renamed Supervisor.terminate()');
      expect(() => old.signal('SIGTERM')).toThrow('Supervisor.signal() was renamed Supervisor.kill()');
      expect(sup.state).toBe('running');
    } finally {
      await sup.terminate();
    }
  });
});
