'use strict';
// Shared by bench/soak-*.js: loads the library from lib/ (the sources, so a soak measures
// the code as it is now), and measures what a leak would grow: open fds, threads, RSS
// after a full GC, zombie children, and the library's registries.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// Open stdout and stderr now (their pipe or tty handles and fds), so that the first line
// printed does not count as growth.
void process.stdout.fd;
void process.stderr.fd;
require(path.join(root, 'test', 'helpers', 'ts-register'));
const lib = (file) => require(path.join(root, 'lib', file));

function fdCount() {
  return fs.readdirSync('/proc/self/fd').length;
}
function statusField(name) {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : NaN;
}
function rssKb() {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  return statusField('VmRSS');
}
/** Children of this process that are zombies (read from /proc/self/task/<tid>/children). */
function zombieChildren() {
  const out = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    let kids = '';
    try {
      kids = fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const pid of kids.trim().split(/\s+/).filter(Boolean)) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') out.push(Number(pid));
      } catch {
        // gone
      }
    }
  }
  return out;
}
/** Sizes of the registries keyed by pid (0 each when nothing is running). */
function registries() {
  const out = {};
  try {
    out.liveChildren = lib('spawn/handle.ts').liveChildren.size;
  } catch {
    out.liveChildren = 'n/a';
  }
  const foreign = require('node:child_process').ChildProcess.prototype[Symbol.for('unixproc.foreignChildren.v1')];
  out.foreignChildren = foreign ? foreign.children.size : 0;
  const own = globalThis[Symbol.for('unixproc.ownChildren.v1')];
  out.ownChildren = own && own.pids ? own.pids.size : 0;
  const handles = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'Timeout' && r !== 'Immediate');
  out.activeHandles = handles.length;
  const kinds = {};
  for (const h of handles) kinds[h] = (kinds[h] ?? 0) + 1;
  const text = Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ');
  Object.defineProperty(out, 'handleKinds', { value: text, enumerable: false });
  return out;
}
function snapshot() {
  return { fds: fdCount(), threads: statusField('Threads'), rssKb: rssKb(), zombies: zombieChildren().length, registries: registries() };
}
/** "fds 19 -> 19, threads 7 -> 7, RSS +1.2 MB, 0 zombies, registries {...}" and whether it is within bounds. */
function compare(before, after, { rssLimitMb = 5 } = {}) {
  const rssMb = (after.rssKb - before.rssKb) / 1024;
  const regs = Object.entries(after.registries).filter(([k]) => k !== 'activeHandles');
  const ok =
    after.fds <= before.fds && after.threads <= before.threads && rssMb <= rssLimitMb && after.zombies === 0 &&
    regs.every(([, v]) => v === 0 || v === 'n/a') && after.registries.activeHandles <= before.registries.activeHandles;
  const text =
    `fds ${before.fds} -> ${after.fds}, threads ${before.threads} -> ${after.threads}, RSS ${rssMb >= 0 ? '+' : ''}${rssMb.toFixed(1)} MB, ` +
    `${after.zombies} zombies, active handles ${before.registries.activeHandles} -> ${after.registries.activeHandles}${after.registries.activeHandles > before.registries.activeHandles ? ` (${after.registries.handleKinds})` : ''}, ` +
    `registries ${regs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
  return { ok, text };
}

module.exports = { root, lib, snapshot, compare, zombieChildren, fdCount };
