'use strict';
// Hostile procfs trees for the /proc readers: a fast-check arbitrary of a tree description
// (plain data, so the report prints it), and make(dir, tree) that lays it out on disk.
// Each file of a process may be valid, malformed, empty, binary, a FIFO (an open for
// reading blocks until a writer comes), a symlink to /dev/zero (endless), a sparse huge
// file, a directory, a dangling or looping symlink, or missing; a tree may also be a long
// ppid chain (deep recursion in tree walks) or hold pids that do not parse.
const fs = require('node:fs');
const path = require('node:path');
const fc = require('fast-check');

const KINDS = ['valid', 'valid', 'valid', 'malformed', 'empty', 'binary', 'fifo', 'devzero', 'huge', 'dir', 'dangling', 'loop', 'missing'];
const FILES = ['stat', 'status', 'cmdline', 'comm', 'environ', 'exe', 'fd', 'task', 'cgroup', 'fdinfo'];
const STATES = ['R', 'S', 'D', 'Z', 'T', 't', 'X', 'I', '?', ''];

const processArb = fc.record({
  pid: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(2 ** 22, 2 ** 31 - 1, 2 ** 31, 99999999999)),
  ppid: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(-1, 2 ** 31, '99999999999999999999999')),
  state: fc.constantFrom(...STATES),
  comm: fc.oneof(fc.constantFrom('sh', 'a) b', ') (', '(', ')', '', 'x'.repeat(300), 'a\nb'), fc.string({ maxLength: 16 })),
  threads: fc.constantFrom(1, 2, 0, -1),
  files: fc.dictionary(fc.constantFrom(...FILES), fc.constantFrom(...KINDS), { maxKeys: 5 }),
  malformed: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('1 (x) R', '1 (x', '1 x) R 0', ')))', '1 (x) R ' + '9'.repeat(40))),
});
const treeArb = fc.record({
  processes: fc.array(processArb, { maxLength: 6 }),
  chain: fc.constantFrom(0, 0, 0, 3, 200, 1000), // a ppid chain of this length (pids 100..)
  oddEntries: fc.subarray(['self', 'thread-self', '0', '-1', '007', '1e3', 'uptime', 'stat'], { maxLength: 3 }),
  rootStat: fc.constantFrom('valid', 'missing', 'malformed', 'fifo', 'devzero'),
  pid: fc.constantFrom(1, 2, 5, 100, 101, 3099, 2 ** 31 - 1, 0, -1),
});

function statLine(p) {
  // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  // priority nice num_threads itrealvalue starttime vsize rss ...
  const fields = [p.state, p.ppid, p.pid, p.pid, 0, -1, 4194560, 0, 0, 0, 0, 1, 1, 0, 0, 20, 0, p.threads, 0, 100 + (Number(p.pid) % 1000), 1000, 10];
  return `${p.pid} (${p.comm}) ${fields.join(' ')}${' 0'.repeat(30)}\n`;
}
function statusText(p) {
  return `Name:\t${p.comm}\nState:\t${p.state} (x)\nTgid:\t${p.pid}\nPid:\t${p.pid}\nPPid:\t${p.ppid}\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t${p.threads}\n`;
}
function validContent(file, p) {
  switch (file) {
    case 'stat': return statLine(p);
    case 'status': return statusText(p);
    case 'cmdline': return `${p.comm}\0arg\0`;
    case 'comm': return `${p.comm}\n`;
    case 'environ': return 'A=b\0';
    case 'cgroup': return '0::/\n';
    default: return undefined;
  }
}

function put(file, kind, content, malformed) {
  switch (kind) {
    case 'missing': return;
    case 'malformed': fs.writeFileSync(file, malformed); return;
    case 'empty': fs.writeFileSync(file, ''); return;
    case 'binary': fs.writeFileSync(file, Buffer.from([0, 0xff, 0xfe, 0x28, 0x29, 0, 10, 0x80])); return;
    case 'fifo': require('node:child_process').execFileSync('mkfifo', [file]); return;
    case 'devzero': fs.symlinkSync('/dev/zero', file); return;
    case 'huge': { const fd = fs.openSync(file, 'w'); fs.writeSync(fd, content ?? 'x'); fs.ftruncateSync(fd, 2 ** 30); fs.closeSync(fd); return; }
    case 'dir': fs.mkdirSync(file); return;
    case 'dangling': fs.symlinkSync('/nonexistent/fuzz', file); return;
    case 'loop': fs.symlinkSync(path.basename(file), file); return;
    default:
      if (content !== undefined) fs.writeFileSync(file, content);
      else if (path.basename(file) === 'exe') fs.symlinkSync('/bin/true', file);
      else fs.mkdirSync(file, { recursive: true });
  }
}

function makeProcess(dir, p) {
  const pdir = path.join(dir, String(p.pid));
  if (fs.existsSync(pdir)) return;
  fs.mkdirSync(pdir);
  const kinds = { stat: 'valid', status: 'valid', cmdline: 'valid', comm: 'valid', ...p.files };
  for (const [file, kind] of Object.entries(kinds)) {
    const target = path.join(pdir, file);
    if (file === 'task' && kind === 'valid') {
      fs.mkdirSync(path.join(target, String(p.pid)), { recursive: true });
      fs.writeFileSync(path.join(target, String(p.pid), 'stat'), statLine(p));
      fs.writeFileSync(path.join(target, String(p.pid), 'status'), statusText(p));
      continue;
    }
    if ((file === 'fd' || file === 'fdinfo') && kind === 'valid') {
      fs.mkdirSync(target);
      if (file === 'fd') fs.symlinkSync('/dev/null', path.join(target, '0'));
      else fs.writeFileSync(path.join(target, '0'), 'pos:\t0\nflags:\t02\n');
      continue;
    }
    put(target, kind, validContent(file, p), p.malformed);
  }
}

/** Lays `tree` out under `dir` (an empty directory). */
function make(dir, tree) {
  for (const p of tree.processes) makeProcess(dir, p);
  for (let i = 0; i < tree.chain; i++) {
    makeProcess(dir, { pid: 100 + i, ppid: i === 0 ? 1 : 99 + i, state: 'S', comm: 'chain', threads: 1, files: {}, malformed: '' });
  }
  for (const name of tree.oddEntries) {
    const target = path.join(dir, name);
    if (fs.existsSync(target)) continue;
    if (name === 'self' || name === 'thread-self') fs.symlinkSync(tree.processes[0] ? String(tree.processes[0].pid) : '1', target);
    else if (name === 'uptime') fs.writeFileSync(target, '12.5 10.0\n');
    else if (name === 'stat') continue;
    else fs.mkdirSync(target);
  }
  const rootStat = path.join(dir, 'stat');
  if (!fs.existsSync(rootStat)) put(rootStat, tree.rootStat, 'cpu 1 2 3\nbtime 1700000000\n', 'btime x\n');
}

module.exports = { treeArb, make };
