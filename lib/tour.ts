/**
 * `npm start`: a short tour of what the library does, on this machine, printed.
 * Everything it starts, it reaps.
 * @internal
 */
import * as os from './os/index';
import { decodeWaitStatus } from './exit-status';
import { findZombies, getProcess, listProcesses, stateSummary } from './proc/index';
import { run, spawn } from './spawn/index';
import { supervise } from './supervise/index';
import { formatLeakReport, startLeakGuard } from './guard/index';

function section(title: string): void {
  console.log(`\n== ${title}`);
}

function identity(): void {
  section('unixproc/os: identity, as Python\'s os');
  console.log(`pid ${os.getpid()}  ppid ${os.getppid()}  pgid ${os.getpgrp()}  sid ${os.getsid(0)}`);
}

function spawnAndWait(): void {
  section('posix_spawn + waitpid: real children, raw statuses, W* macros');
  for (const script of ['exit 0', 'exit 3', 'kill -TERM $$']) {
    const pid = os.posix_spawn('/bin/sh', ['sh', '-c', script], process.env);
    const [reaped, status] = os.waitpid(pid, 0);
    const decoded = decodeWaitStatus(status);
    console.log(
      `sh -c '${script}': pid ${reaped} status 0x${status.toString(16).padStart(4, '0')}` +
        `  WIFEXITED=${os.WIFEXITED(status)} exitcode=${os.waitstatus_to_exitcode(status)}  ${JSON.stringify(decoded)}`,
    );
  }
  try {
    os.posix_spawn('/no/such/program', ['x'], process.env);
  } catch (e) {
    const err = e as { message: string; code: string; errno: number };
    console.log(`a missing program: ${err.message} (code ${err.code}, errno ${err.errno})`);
  }
}

function zombies(): void {
  section('/proc: a real zombie, found with its parent, then reaped');
  // A child that exits at once and is not waited for yet is a zombie of this process.
  const pid = os.posix_spawn('/bin/true', ['true'], process.env);
  os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT); // blocks until it has exited, reaps nothing
  const held = findZombies().find((g) => g.parentPid === os.getpid());
  if (held !== undefined) {
    const z = held.zombies[0];
    console.log(`zombie pid ${z.pid} (${z.comm}, state ${z.state.letter}: ${z.state.meaning}), held by pid ${held.parentPid} (${held.parent?.comm})`);
  }
  os.waitpid(pid, 0);
  console.log(`after waitpid: ${getProcess(pid) === undefined ? 'gone' : 'still there'}`);
}

function table(): void {
  section('/proc: the process table');
  const started = process.hrtime.bigint();
  const procs = listProcesses();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const summary = stateSummary();
  const counts = Object.entries(summary.byLetter).map(([l, n]) => `${l}:${n}`).join(' ');
  console.log(`${procs.length} processes scanned in ${ms.toFixed(1)} ms; states ${counts}; kernel threads ${summary.kernelThreads}`);
}

async function handles(): Promise<void> {
  section('spawn() and run(): non-blocking children, pidfd-watched, pid-reuse safe');
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  console.log(`spawn('sleep 30'): pid ${sleeper.pid}; kill() through its pidfd -> ${sleeper.kill('SIGTERM')}`);
  console.log(`its wait() resolves: ${JSON.stringify(await sleeper.wait())}; kill() again -> ${sleeper.kill()} (nothing sent)`);
  const r = await run('sh', ['-c', 'echo hello from $0; exit 4'], { capture: true });
  console.log(`run(): status ${JSON.stringify(r.status)}, stdout ${JSON.stringify(r.stdout)}`);
}

async function supervised(): Promise<void> {
  section('supervise(): restart on failure with backoff, then terminate() ends the group gracefully');
  // A program that fails its first two runs (a counter in a temp file), then stays up.
  const counter = `/tmp/unixproc-tour-${process.pid}`;
  const script = `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; [ $n -ge 2 ] && exec sleep 30; exit 1`;
  const sup = supervise('/bin/sh', ['-c', script], { restart: 'on-failure', backoff: { initial: 50, factor: 2 } });
  sup.on('exit', ({ pid, status }) => console.log(`  pid ${pid} ended: ${JSON.stringify(status)}`));
  sup.on('restart', ({ delay, count }) => console.log(`  restart ${count} in ${delay} ms`));
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (sup.pid !== undefined && getProcess(sup.pid)?.comm === 'sleep') {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
  console.log(`  running as pid ${sup.pid} (its own process group), state ${sup.state}`);
  await sup.terminate();
  console.log(`  terminate(): SIGTERM to the group, reaped; state ${sup.state}`);
  require('node:fs').rmSync(counter, { force: true });
}

async function leakGuard(): Promise<void> {
  section('leak guard: a command that leaves a process behind is caught, then cleaned up');
  const guard = startLeakGuard();
  try {
    const leaky = spawn('/bin/sh', ['-c', 'sleep 30 & exit 0'], { stdio: 'ignore' });
    await leaky.wait();
    const report = guard.check();
    console.log(`  ok=${report.ok}\n  ${formatLeakReport(report).trimEnd().split('\n').join('\n  ')}`);
    const result = await guard.cleanup({ killGracePeriod: 1000 });
    console.log(`  cleanup(): signalled ${result.signaled.length}, reaped ${result.reaped.length}; now ok=${guard.check().ok}`);
  } finally {
    guard.dispose();
  }
}

function forkConditions(): void {
  section('fork(): continues in JavaScript, but only where that is safe');
  try {
    const pid = os.fork();
    if (pid === 0) os._exit(0);
    os.waitpid(pid, 0);
    console.log('forked and reaped a child (this Node runs with --single-threaded)');
  } catch (e) {
    const err = e as { code: string; message: string };
    console.log(`refused here, with code ${err.code}:\n  ${err.message.split('\n').join('\n  ')}`);
  }
}

async function main(): Promise<void> {
  identity();
  spawnAndWait();
  zombies();
  table();
  await handles();
  await supervised();
  await leakGuard();
  forkConditions();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
