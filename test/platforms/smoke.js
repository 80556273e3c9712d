// The smoke test a prebuilt binary must pass on the machine it is for (run by
// scripts/test-platforms.js, under qemu-user for arm64): both addons load from prebuilds/
// (no build/ beside them), and spawn, waitpid, listProcesses and fork work. Run with
// --single-threaded (fork's requirement). Prints one JSON line of results; exits non-zero
// on the first failure.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');

const root = process.argv[2];
const os = require(path.join(root, 'dist', 'os'));
const unixproc = require(path.join(root, 'dist'));

async function main() {
  const results = { arch: process.arch, node: process.version };

  // posix_spawn + blocking waitpid: the exit code comes back through the status.
  const pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'exit 3'], process.env);
  const [reaped, status] = os.waitpid(pid, 0);
  assert.equal(reaped, pid);
  assert.equal(os.waitstatus_to_exitcode(status), 3);
  results.posixSpawnWaitpid = os.waitstatus_to_exitcode(status);

  // The idiomatic spawn: its exit is watched by the event loop (pidfd or the fallback).
  const child = unixproc.spawn('/bin/sh', ['-c', 'exit 5']);
  const exit = await child.wait();
  assert.deepEqual({ kind: exit.kind, code: exit.code }, { kind: 'exited', code: 5 });
  results.spawn = exit.code;

  // The /proc table, read natively: it holds this process with its parent.
  const table = unixproc.listProcesses();
  const self = table.find((p) => p.pid === process.pid);
  assert.ok(self, 'listProcesses() holds this process');
  assert.equal(self.ppid, process.ppid);
  results.listProcesses = table.length;

  // fork() that returns into JavaScript in the child (the fork addon, Node's C++ ABI).
  const forked = os.fork();
  if (forked === 0) process.exit(7);
  const [forkReaped, forkStatus] = os.waitpid(forked, 0);
  assert.equal(forkReaped, forked);
  assert.equal(os.waitstatus_to_exitcode(forkStatus), 7);
  results.fork = os.waitstatus_to_exitcode(forkStatus);

  console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
