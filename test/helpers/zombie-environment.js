'use strict';
// The suite's test environment: Node's, plus one check when a test file is done (after its
// own afterAll hooks): it must not leave a child of its jest worker behind, a zombie or a
// live one (started or adopted by the file, or a tmux pane's shell that dies later and comes
// back as a zombie). Such a child outlives the file in a worker that goes on to run other
// files, where a later file's os.wait(), or its own check for zombie children, finds it (a
// flake that names the wrong file). The whole-run check (global-teardown) cannot see these:
// a worker's children go away with the worker. Children already there when the file started
// are not this file's; the library's cgroup keeper lives as long as the worker, by design.
const fs = require('node:fs');
const { TestEnvironment } = require('jest-environment-node');

/** Whether /proc/<pid>/cmdline is the library's cgroup keeper (lib/contain/owner.ts). */
function isKeeper(pid) {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    return (argv[0] === 'unixproc-shepherd' || argv[0].endsWith('/unixproc-shepherd')) && argv[1] === 'keeper';
  } catch {
    return false;
  }
}

/** "pid comm (zombie)" or "pid comm (running)" of each child of this process, keyed by pid and start time. */
function ownChildren() {
  const out = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // gone
    }
    const close = stat.lastIndexOf(')');
    const f = stat.slice(close + 2).split(' ');
    if (Number(f[1]) !== process.pid || (f[0] !== 'Z' && isKeeper(name))) continue;
    out.set(`${name}:${f[19]}`, `${name} ${stat.slice(stat.indexOf('(') + 1, close)} (${f[0] === 'Z' ? 'zombie' : 'running'})`);
  }
  return out;
}

class ZombieCheckEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.childrenBefore = new Set(ownChildren().keys());
  }

  async teardown() {
    // A child that exited a moment ago is reaped by its owner (libuv, spawn()) once the
    // loop turns, one killed a moment ago exits: give that up to 3 s.
    let left = [];
    for (const deadline = Date.now() + 3000; ; ) {
      left = [...ownChildren()].filter(([k]) => !this.childrenBefore.has(k)).map(([, v]) => v);
      if (left.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await super.teardown();
    if (left.length > 0) {
      const e = new Error(`this test file left children of its jest worker (pid ${process.pid}) behind (end and reap what it starts or adopts): ${left.join(', ')}`);
      e.stack = e.message;
      throw e;
    }
  }
}

module.exports = ZombieCheckEnvironment;
