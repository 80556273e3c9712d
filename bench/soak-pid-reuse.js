'use strict';
// bench-flags: --expose-gc
// Soak: forced pid reuse. Inside a pid namespace of its own (the script re-runs itself under
// `unshare -fp --mount-proc` as root), for every pair of (first owner, newcomer) among
// spawn(), unixproc/os posix_spawn() + waitpid() and child_process.spawn(): the first
// owner's child exits and is reaped, /proc/sys/kernel/ns_last_pid is set so that the
// newcomer gets the same pid, and then:
// - the first handle still reports its own child's exit, and its kill() reaches nothing
//   (returns false; the newcomer is not signalled);
// - a handle from openProcess() taken while the first child lived (a pidfd) says it is not
//   running and its kill() reaches nothing; isRunning() of the bare { pid, startTime } is
//   only counted (issue 8 item 6: (pid, start tick) is fooled by reuse within one tick);
// - os.waitpid(-1, WNOHANG) polled meanwhile never takes the newcomer (spawn() and
//   child_process children are not the os module's to reap);
// - the newcomer's owner sees the newcomer's exit (code 7), nobody else's, and every
//   registry keyed by pid is empty afterwards.
// "race" rows let the newcomer take the pid as soon as the exit watch has reaped the first
// spawn() child, before its wait() is awaited (issue 8 item 3).
// `node bench/soak-pid-reuse.js [rounds]` (default 30 per row). Prints one line per row;
// exits 1 on any lost or stolen exit, wrong status or signal through a stale handle.
const fs = require('node:fs');
const { spawnSync, spawn: spawnChild } = require('node:child_process');

if (!process.argv.includes('--inside')) {
  if (process.getuid() !== 0) {
    console.log('soak-pid-reuse: skipped (needs root for a pid namespace)');
    process.exit(0);
  }
  const r = spawnSync('unshare', ['-fp', '--mount-proc', '--kill-child', '--', '/bin/sh', '-c', '"$@"', 'sh', process.execPath, ...process.execArgv, __filename, '--inside', ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { lib, snapshot, compare } = require('./soak-common');
const { spawn, isRunning, getProcess, openProcess } = lib('index.ts');
const os = lib('os/index.ts');
const rounds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 30);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const gone = (pid) => !fs.existsSync(`/proc/${pid}`);
const withTimeout = (p, ms) => Promise.race([p, sleep(ms).then(() => 'timeout')]);

function forceNextPid(pid) {
  fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
}

// Owners: start(file, args) -> { pid, exit: Promise<{code} | 'timeout'>, kill?(sig) -> boolean }
const OWNERS = {
  spawn(file, args) {
    const sub = spawn(file, args, { stdio: 'ignore' });
    return { pid: sub.pid, sub, exit: sub.wait().then((s) => ({ code: s.kind === 'exited' ? s.code : `signal ${s.signal}` }), (e) => ({ code: `rejected ${e.code}` })), kill: (sig) => sub.kill(sig) };
  },
  child_process(file, args) {
    const cp = spawnChild(file, args, { stdio: 'ignore' });
    return { pid: cp.pid, exit: new Promise((r) => cp.once('exit', (code, signal) => r({ code: code ?? `signal ${signal}` }))) };
  },
  posix_spawn(file, args) {
    const pid = os.posix_spawn(file, [file, ...args]);
    // Polled with WNOHANG so the event loop keeps running (the other owners need it).
    const exit = (async () => {
      for (let i = 0; i < 400; i++) {
        let r;
        try {
          r = os.waitpid(pid, os.WNOHANG);
        } catch (e) {
          return { code: `waitpid ${e.code}` };
        }
        if (r[0] === pid) return { code: os.waitstatus_to_exitcode(r[1]) };
        await sleep(5);
      }
      return 'timeout';
    })();
    return { pid, exit };
  },
};

async function row(first, newcomer, race) {
  const tally = { reused: 0, firstWrong: 0, staleKillHit: 0, newcomerWrong: 0, stolen: 0, identityFooled: 0, handleFooled: 0 };
  for (let r = 0; r < rounds; r++) {
    const a = OWNERS[first]('/bin/true', []);
    let refA;
    try {
      const info = getProcess(a.pid);
      if (info) refA = { pid: info.pid, startTime: info.startTime };
    } catch {
      // already gone
    }
    // A pidfd-backed reference taken while the first child lives (where the library has one).
    let handleA;
    try {
      if (typeof openProcess === 'function') handleA = openProcess(a.pid);
    } catch {
      // already gone
    }
    let aExit;
    if (race) {
      while (!gone(a.pid)) await new Promise((res) => setImmediate(res)); // reaped by the exit watch
    } else {
      aExit = await withTimeout(a.exit, 3000);
    }
    forceNextPid(a.pid);
    const b = OWNERS[newcomer]('/bin/sh', ['-c', 'sleep 0.05; exit 7']);
    if (b.pid === a.pid) tally.reused++;
    if (race) aExit = await withTimeout(a.exit, 3000);
    if (aExit === 'timeout' || aExit.code !== 0) tally.firstWrong++;
    if (a.kill && a.kill('SIGKILL')) tally.staleKillHit++;
    if (refA && b.pid === a.pid && isRunning(refA)) tally.identityFooled++;
    if (handleA) {
      if (handleA.isRunning() || handleA.kill('SIGKILL')) tally.handleFooled++;
      handleA.close();
    }
    // os.waitpid(-1) must never take a child that spawn() or child_process owns.
    let bDone = false;
    const bExitP = b.exit.then((x) => { bDone = true; return x; });
    if (newcomer !== 'posix_spawn') {
      const until = Date.now() + 3000;
      while (!bDone && Date.now() < until) {
        try {
          const [pid] = os.waitpid(-1, os.WNOHANG);
          if (pid === b.pid) tally.stolen++;
        } catch {
          // ECHILD: no child of ours to take
        }
        await sleep(5);
      }
    }
    const bExit = await withTimeout(bExitP, 3000);
    if (bExit === 'timeout' || bExit.code !== 7) tally.newcomerWrong++;
  }
  return tally;
}

async function main() {
  const before = snapshot();
  let failed = false;
  const rows = [];
  for (const first of Object.keys(OWNERS)) for (const newcomer of Object.keys(OWNERS)) rows.push([first, newcomer, false]);
  rows.push(['spawn', 'spawn', true], ['spawn', 'child_process', true], ['spawn', 'posix_spawn', true]);
  for (const [first, newcomer, race] of rows) {
    const t = await row(first, newcomer, race);
    const bad = t.firstWrong + t.staleKillHit + t.newcomerWrong + t.stolen + t.handleFooled;
    if (bad > 0) failed = true;
    console.log(
      `soak-pid-reuse: ${first} -> ${newcomer}${race ? ' (race)' : ''}: pid reused ${t.reused}/${rounds}, first exit wrong ${t.firstWrong}, ` +
        `stale kill() hit ${t.staleKillHit}, newcomer exit lost/wrong ${t.newcomerWrong}, stolen by waitpid(-1) ${t.stolen}, isRunning(old { pid, startTime }) true ${t.identityFooled}, openProcess() handle fooled ${typeof openProcess === 'function' ? t.handleFooled : 'n/a'}${bad ? '  FAIL' : ''}`,
    );
  }
  await sleep(100);
  const c = compare(before, snapshot(), { rssLimitMb: 20 });
  console.log(`soak-pid-reuse: after all rows: ${c.text}${c.ok ? '' : '  FAIL'}`);
  // Exit now: a child_process handle whose exit was stolen keeps the loop alive forever.
  process.exit(failed || !c.ok ? 1 : 0);
}
main();
