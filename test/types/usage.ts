// The public types as a user meets them: what must compile, and (each `@ts-expect-error`)
// what must not. Checked by `tsc --noEmit -p test/types` (test/unit/types.test.ts) and by
// the project's own `tsc --noEmit`. Never run: every call is inside a function not called.
import {
  daemonize,
  decodeWaitStatus,
  listProcesses,
  run,
  spawn,
  startLeakGuard,
  supervise,
  type ExitStatus,
  type RunResult,
  type SignalName,
  type SpawnOptions,
} from '../../lib/index';
import * as unixproc from '../../lib/index';
import * as os from '../../lib/os/index';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

export async function expectedUsages(): Promise<void> {
  // spawn(file, args, options); signals are NodeJS.Signals | number
  const child = spawn('sleep', ['1'], { killSignal: 'SIGINT', killGracePeriod: 100, stdio: ['ignore', 'pipe', 'inherit'] });
  const sent: boolean = child.kill('SIGTERM');
  child.kill(9);
  const ended: ExitStatus = await child.terminate({ killSignal: 'SIGKILL' });
  if (ended.kind === 'signaled') {
    const name: SignalName = ended.signal;
    const n: number = ended.signo;
    void name, n;
  }
  void sent;

  // run(file, args, options): stdout/stderr narrowed by capture
  const text = await run('echo', ['hi'], { capture: true });
  assertType<Equal<typeof text.stdout, string>>(true);
  const text2 = await run('echo', ['hi'], { capture: 'text', encoding: 'latin1' });
  assertType<Equal<typeof text2.stderr, string>>(true);
  const bytes = await run('echo', ['hi'], { capture: 'buffer' });
  assertType<Equal<typeof bytes.stdout, Buffer>>(true);
  const none = await run('true');
  assertType<Equal<typeof none.stdout, null>>(true);
  const flag: boolean = Math.random() > 0.5;
  const either: RunResult = await run('true', [], { capture: flag });
  assertType<Equal<typeof either.stdout, string | Buffer | null>>(true);

  // supervise: killSignal / killGracePeriod; kill() and terminate()
  const sup = supervise('node', ['server.js'], { killSignal: 'SIGTERM', killGracePeriod: 5000, backoff: { initial: 10 } });
  sup.kill('SIGHUP');
  const last: ExitStatus | undefined = await sup.terminate({ killGracePeriod: 100 });
  void last;

  // daemonize: one stdio option, in spawn's shape
  daemonize('/usr/sbin/d', [], { stdio: '/var/log/d.log' });
  daemonize('/usr/sbin/d', [], { stdio: ['ignore', 1, 'ignore'] });

  // the leak guard
  const guard = startLeakGuard();
  await guard.cleanup({ killSignal: 'SIGTERM', killGracePeriod: 1000 });
  guard.dispose();
  const disposed: boolean = guard.disposed;
  void disposed;

  // the Python mirror keeps Python's names and shapes
  const [pid, status]: [number, number] = os.waitpid(-1, os.WNOHANG);
  os.kill(pid, 'SIGTERM');
  os.kill(pid, 15);
  void decodeWaitStatus(status);
  const options: SpawnOptions = { killOnParentDeath: 'SIGKILL' };
  void options;
  // credentials: names or ids, the supplementary groups as a mixed list
  spawn('id', [], { user: 'nobody', group: 65534, extraGroups: ['users', 5] });
  await run('id', [], { user: 65534, extraGroups: [] });
  supervise('sleep', ['1'], { user: 'nobody', group: 'nogroup', extraGroups: ['users'] });
  void listProcesses({ cmdline: true });
}

export async function misuses(): Promise<void> {
  const child = spawn('sleep', ['1']);
  // @ts-expect-error a misspelt signal name
  child.kill('SIGTREM');
  // @ts-expect-error a signal name without SIG
  spawn('sleep', ['1'], { killSignal: 'TERM' });
  // @ts-expect-error an unknown option
  spawn('sleep', ['1'], { bogusOption: true });
  // @ts-expect-error run takes (file, args, options), not [file, ...args]
  await run(['sleep', '1']);
  const text = await run('echo', ['hi'], { capture: true });
  // @ts-expect-error captured text is a string, not a Buffer
  text.stdout.readUInt8(0);
  const none = await run('true');
  // @ts-expect-error not captured: null
  none.stdout.length;
  // @ts-expect-error the former uid (now user)
  spawn('id', [], { uid: 0 });
  // @ts-expect-error the former gid (now group)
  supervise('node', [], { gid: 0 });
  // @ts-expect-error extraGroups is a list, not one group
  spawn('id', [], { extraGroups: 'users' });
  // @ts-expect-error a user is a name or an id
  spawn('id', [], { user: true });
  // @ts-expect-error the former name of killSignal
  supervise('node', [], { stopSignal: 'SIGTERM' });
  // @ts-expect-error the former name of killGracePeriod
  supervise('node', [], { stopTimeout: 100 });
  // @ts-expect-error a misspelt nested option
  supervise('node', [], { backoff: { initail: 5 } });
  const sup = supervise('node', []);
  // @ts-expect-error Supervisor.stop() is now terminate()
  await sup.stop();
  // @ts-expect-error Supervisor.signal() is now kill()
  sup.signal('SIGTERM');
  // @ts-expect-error the former stdout/stderr options of daemonize
  daemonize('/usr/sbin/d', [], { stdout: 'ignore' });
  const guard = startLeakGuard();
  // @ts-expect-error the former name of killGracePeriod
  await guard.cleanup({ grace: 100 });
  // @ts-expect-error LeakGuard.stop() is now dispose()
  guard.stop();
  // @ts-expect-error a misspelt signal in the Python mirror
  os.kill(1, 'SIGTREM');
}

// Internals are not part of the package's surface.
// @ts-expect-error statusBits is internal
void unixproc.statusBits;
// @ts-expect-error nameOfSignal is internal
void unixproc.nameOfSignal;
// @ts-expect-error statusFromSiginfo is internal
void unixproc.statusFromSiginfo;
