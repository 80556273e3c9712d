/**
 * `npm start`: a short tour of what the library does, on this machine, printed.
 * Everything it starts, it reaps.
 * @internal
 */
import * as os from './os/index';
import { decodeWaitStatus } from './exit-status';
import { findZombies, getProcess, listProcesses, stateSummary } from './proc/index';

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

identity();
spawnAndWait();
zombies();
table();
