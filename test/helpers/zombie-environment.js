'use strict';
// The suite's test environment: Node's, plus one check when a test file is done (after its
// own afterAll hooks): it must not leave a zombie child of its jest worker. A file's zombie
// outlives the file in a worker that goes on to run other files, where a later file's
// os.wait(), or its own check for zombie children, finds it (a flake that names the wrong
// file). The whole-run check (global-teardown) cannot see these: a worker's zombies go away
// with the worker. Zombies already there when the file started are not this file's.
const fs = require('node:fs');
const { TestEnvironment } = require('jest-environment-node');

/** "pid comm" of each zombie child of this process, keyed by pid and start time. */
function zombieChildren() {
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
    if (f[0] === 'Z' && Number(f[1]) === process.pid) out.set(`${name}:${f[19]}`, `${name} ${stat.slice(stat.indexOf('(') + 1, close)}`);
  }
  return out;
}

class ZombieCheckEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.zombiesBefore = new Set(zombieChildren().keys());
  }

  async teardown() {
    // A child that exited a moment ago is reaped by its owner (libuv, spawn()) once the
    // loop turns: give that up to 3 s.
    let left = [];
    for (const deadline = Date.now() + 3000; ; ) {
      left = [...zombieChildren()].filter(([k]) => !this.zombiesBefore.has(k)).map(([, v]) => v);
      if (left.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await super.teardown();
    if (left.length > 0) {
      const e = new Error(`this test file left zombie children of its jest worker (pid ${process.pid}) that nobody reaps: ${left.join(', ')}`);
      e.stack = e.message;
      throw e;
    }
  }
}

module.exports = ZombieCheckEnvironment;
