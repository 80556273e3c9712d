'use strict';
// The suite must leave nothing behind. The main process is a subreaper (global-setup.js),
// so a zombie or orphan that any test leaked ends up as a child of this process once the
// workers have gone. Anything here that is not a jest worker is a leak: it is reported,
// then killed and reaped by pid (never by name), and the run fails.
const fs = require('node:fs');
const path = require('node:path');

function childrenOf(ppid) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    if (Number(fields[1]) !== ppid) continue;
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      // gone or unreadable
    }
    out.push({
      pid: Number(name),
      state: fields[0],
      comm: stat.slice(stat.indexOf('(') + 1, close),
      cmdline,
    });
  }
  return out;
}

function isJestWorker(p) {
  return /jest-worker|processChild\.js/.test(p.cmdline);
}

module.exports = async function globalTeardown() {
  const binding = require('node-gyp-build')(path.join(__dirname, '..', '..'));
  let leaks = [];
  // Workers may still be on their way out; a leak is what stays for ~2 s.
  for (let i = 0; i < 10; i++) {
    leaks = childrenOf(process.pid).filter((p) => !isJestWorker(p));
    if (leaks.length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const p of leaks) {
    binding.kill?.(p.pid, 9);
    if (!binding.kill) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    binding.waitpid(p.pid, 0);
  }
  const list = leaks
    .map((p) => `  pid ${p.pid} state ${p.state} (${p.comm}) ${p.cmdline}`)
    .join('\n');
  throw new Error(`the test suite left ${leaks.length} process(es) behind:\n${list}`);
};
