'use strict';
// The arm64 shepherd (native/shepherd.cc, no C library: native/nolibc.h) run under
// qemu-user by scripts/test-platforms.js: keeper mode against a real cgroup. It says "R <pid>",
// and when its control socket closes (the owner is gone) it kills the cgroup below it, waits
// for "populated 0" and removes the directories: its own _start, the aarch64 system call
// wrappers, getdents64, signalfd, ppoll, openat/write/unlinkat all take part.
// Tree mode cannot run under qemu-user 7.2 (it refuses PR_SET_CHILD_SUBREAPER); it is checked
// to refuse its arguments the same way (exit 125) as on x64.
//
//   node test/platforms/shepherd-keeper.js <shepherd> <qemu-aarch64>
// Prints one JSON line; exits 1 on any difference.
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const [shepherd, qemu] = process.argv.slice(2);

function cgroup2Mount() {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (right !== undefined && right.startsWith('cgroup2 ')) return left.split(' ')[4];
  }
  return undefined;
}

let cleanUp = () => undefined;
function fail(message) {
  cleanUp();
  console.log(JSON.stringify({ ok: false, message }));
  process.exit(1);
}

function exited(child) {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

async function main() {
  const usage = cp.spawnSync(qemu, [shepherd, 'tree', 'x'], { encoding: 'utf8' });
  if (usage.status !== 125) fail(`tree with bad arguments exited ${usage.status}, not 125`);

  const mount = cgroup2Mount();
  if (mount === undefined) fail('no cgroup2 mount');
  const dir = path.join(mount, `unixproc-platforms-${process.pid}`);
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    fail(`cgroup2 is not writable here (${e.code}): the keeper needs a cgroup to end`);
  }
  fs.mkdirSync(path.join(dir, 'keeper'));
  fs.mkdirSync(path.join(dir, 'c1'));
  const member = cp.spawn('sleep', ['60'], { stdio: 'ignore' });
  const memberExit = exited(member);
  let keeper;
  // On a failure: nothing left behind (the member and the keeper by pid, then the cgroups).
  cleanUp = () => {
    member.kill('SIGKILL');
    keeper?.kill('SIGKILL');
    cp.spawnSync('sleep', ['0.2']);
    for (const sub of ['c1', 'keeper', '']) {
      try {
        fs.rmdirSync(path.join(dir, sub));
      } catch {
        // removed by the keeper, or never made
      }
    }
  };
  fs.writeFileSync(path.join(dir, 'c1', 'cgroup.procs'), String(member.pid));
  // fd 3: libuv makes a 'pipe' a connected unix socket pair (what lib/contain uses).
  keeper = cp.spawn(qemu, [shepherd, 'keeper', String(process.pid), dir], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  const keeperExit = exited(keeper);
  const control = keeper.stdio[3];
  const line = await new Promise((resolve) => {
    let got = '';
    control.on('data', (chunk) => {
      got += chunk.toString('latin1');
      if (got.includes('\n')) resolve(got.trim());
    });
    control.on('end', () => resolve(got.trim()));
  });
  if (!/^R \d+$/.test(line)) fail(`first line ${JSON.stringify(line)}`);
  control.destroy(); // the owner is "gone": EOF on the keeper's fd 3
  const timer = setTimeout(() => fail('the keeper did not end the cgroup within 10 s'), 10000);
  const [m, k] = await Promise.all([memberExit, keeperExit]);
  clearTimeout(timer);
  const left = fs.existsSync(dir);
  if (left) cleanUp();
  const result = { ok: m.signal === 'SIGKILL' && k.code === 0 && !left, line, member: m, keeper: k, dirLeft: left };
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

main().catch((e) => fail(e.stack));
