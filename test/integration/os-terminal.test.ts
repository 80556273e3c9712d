// tcgetpgrp / tcsetpgrp on a real terminal: a node child that python3's pty.fork made the
// session leader of a new pseudo-terminal (its controlling terminal on fds 0..2).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from '../../lib/os';
import { ROOT } from '../helpers/os-core-children';
import { ptyTest, runScriptOnPty } from '../helpers/pty';

const withPty = ptyTest('the terminal tests');

/** Runs `code` (with `os` and `result(value)` in scope) on a new pty; returns what it reported. */
function onNewTerminal(code: string): Record<string, unknown> {
  const r = runScriptOnPty(
    `const os = require(${JSON.stringify(path.join(ROOT, 'lib/os'))});\n` +
      `const attempt = (f) => { try { return { value: f() }; } catch (e) { return { code: e.code, syscall: e.syscall }; } };\n` +
      code,
  );
  if (r.exitCode !== 0 || r.result === undefined) throw new Error(`pty child failed (${r.exitCode}): ${r.stderr}`);
  return r.result;
}

withPty('tcgetpgrp(0) of a session leader on its new terminal is its own group', () => {
  const r = onNewTerminal(`result({ pid: os.getpid(), sid: os.getsid(0), pgrp: os.getpgrp(), fg: os.tcgetpgrp(0) });`);
  expect(r.sid).toBe(r.pid);
  expect(r.pgrp).toBe(r.pid);
  expect(r.fg).toBe(r.pid);
});

withPty('tcsetpgrp makes another group of the session the foreground group', () => {
  const r = onNewTerminal(`
    const child = os.posix_spawn('/bin/sleep', ['sleep', '30'], null, { setpgroup: 0 });
    const set = attempt(() => os.tcsetpgrp(0, child));
    const fg = os.tcgetpgrp(0);
    os.kill(child, 'SIGKILL');
    os.waitpid(child, 0);
    result({ child, set, fg });
  `);
  expect(r.set).toEqual({}); // returned undefined, threw nothing
  expect(r.fg).toBe(r.child);
});

withPty('tcsetpgrp to a group of another session throws EPERM', () => {
  // Group 1 (init's) exists but is in another session than the pty's.
  const r = onNewTerminal(`result(attempt(() => os.tcsetpgrp(0, 1)));`);
  expect(r).toEqual({ code: 'EPERM', syscall: 'tcsetpgrp' });
});

withPty('tcsetpgrp to a group that does not exist throws ESRCH', () => {
  // pid_max is at most 2^22 on Linux, so no group has this id.
  const r = onNewTerminal(`result(attempt(() => os.tcsetpgrp(0, 2 ** 22 + 1)));`);
  expect(r).toEqual({ code: 'ESRCH', syscall: 'tcsetpgrp' });
});

// Issue 13: an int the kernel rejects is the kernel's error, as in Python (TestInvalidFD).
test('tcsetpgrp on a closed fd throws EBADF from the kernel, whatever the pgid', () => {
  const fd = fs.openSync('/dev/null', 'r');
  fs.closeSync(fd);
  expect(() => os.tcsetpgrp(fd, 0)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'tcsetpgrp' }));
  expect(() => os.tcsetpgrp(-1, -1)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'tcsetpgrp' }));
  expect(() => os.tcgetpgrp(-1)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'tcgetpgrp' }));
});

test('tcsetpgrp with a negative pgid on a terminal-less fd goes to the kernel (ENOTTY)', () => {
  const fd = fs.openSync('/dev/null', 'r');
  try {
    expect(() => os.tcsetpgrp(fd, -1)).toThrow(expect.objectContaining({ code: 'ENOTTY', syscall: 'tcsetpgrp' }));
  } finally {
    fs.closeSync(fd);
  }
});

test.each([
  ['a string', '1', 'ERR_INVALID_ARG_TYPE'],
  ['a bigint', 1n, 'ERR_INVALID_ARG_TYPE'],
  ['undefined', undefined, 'ERR_INVALID_ARG_TYPE'],
  ['a fraction', 1.5, 'ERR_OUT_OF_RANGE'],
  ['NaN', NaN, 'ERR_OUT_OF_RANGE'],
  ['2^31', 2 ** 31, 'ERR_OUT_OF_RANGE'],
])('tcsetpgrp rejects %s as pgid with %s', (_what, pgid, code) => {
  expect(() => os.tcsetpgrp(0, pgid as number)).toThrow(expect.objectContaining({ code, message: expect.stringContaining('"pgid"') }));
});
