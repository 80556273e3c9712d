// CPython's own tests of the existing process API, translated case by case (issue 13): test_os
// ExecTests, PidTests, TimesTests, ForkTests, FSEncodingTests; test_wait3, test_wait4 and
// fork_wait (ForkWait.wait_impl); test_fork1; test_posix PosixTester's process tests
// (test_fexecve, test_waitid, test_register_at_fork); test_pty's test_fork. Each test keeps
// CPython's name. Python's
// ValueError for a bad argv is ERR_INVALID_ARG_VALUE here; its OSError a Node-shaped system
// error. fork() needs `node --single-threaded` (a jest worker is not), so the fork cases run
// in a node child made for it; assert_python_ok is "that node exits 0 with no stderr".
// Skipped, with the reason (also in docs/python-parity.md): PidTests.test_waitpid (needs
// os.spawnv, added by the parity-api work), and the thread half of fork_wait.ForkWait.test_wait,
// which test_wait3, test_wait4 and test_fork1 run: it starts Python threads and checks that
// only the forking thread goes on in the child; JavaScript has no such threads, and fork()
// refuses while a worker thread lives.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as os from '../../lib/os';
import { runCapture } from '../helpers/os-core-children';

const PY = '/usr/bin/python3';
const ROOT = path.resolve(__dirname, '..', '..');
const PRELUDE = `require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))});
const os = require(${JSON.stringify(path.join(ROOT, 'lib/os'))});
const assert = require('node:assert');
const waitProcess = (pid, exitcode) => { const [p, st] = os.waitpid(pid, 0); assert.strictEqual(p, pid); assert.strictEqual(os.waitstatus_to_exitcode(st), exitcode); };
`;

/** assert_python_ok: runs `code` in `node --single-threaded`; it must exit 0 with nothing on stderr. */
function assertNodeOk(code: string): string {
  const r = spawnSync(process.execPath, ['--single-threaded', '-e', PRELUDE + code], { encoding: 'utf8', timeout: 60000 });
  expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  return r.stdout;
}

describe('test_os.ExecTests', () => {
  test('test_execvpe_with_bad_program', () => {
    expect(() => os.execvpe('no such app-', ['no such app-'], null)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'execve' }));
  });
  test('test_execv_with_bad_arglist', () => {
    const valueError = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(() => os.execv('notepad', [])).toThrow(valueError); // ()
    expect(() => os.execv('notepad', [])).toThrow(valueError);
    expect(() => os.execv('notepad', [''])).toThrow(valueError); // ('',)
    expect(() => os.execv('notepad', [''])).toThrow(valueError);
  });
  test('test_execvpe_with_bad_arglist', () => {
    const valueError = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(() => os.execvpe('notepad', [], null)).toThrow(valueError);
    expect(() => os.execvpe('notepad', [], {})).toThrow(valueError);
    expect(() => os.execvpe('notepad', [''], {})).toThrow(valueError);
  });
});

describe('test_os.PidTests', () => {
  test('test_getppid', () => {
    // subprocess.Popen([sys.executable, '-c', 'import os; print(os.getppid())'], stdout=PIPE)
    const { status, stdout } = runCapture(PY, [PY, '-c', 'import os; print(os.getppid())']);
    expect(status).toBe(0);
    expect(Number.parseInt(stdout, 10)).toBe(os.getpid()); // we are the parent of our subprocess
  });
  test.skip('test_waitpid (needs os.spawnv: parity-api)', () => undefined);
});

describe('test_os.TimesTests', () => {
  test('test_times', () => {
    const times = os.times();
    expect(Object.isFrozen(times)).toBe(true); // os.times_result
    for (const field of ['user', 'system', 'children_user', 'children_system', 'elapsed'] as const) {
      expect(typeof times[field]).toBe('number'); // float
    }
  });
});

describe('test_os.FSEncodingTests', () => {
  test('test_nop', () => {
    expect(os.fsencode(Buffer.from('abc\xff', 'latin1'))).toEqual(Buffer.from('abc\xff', 'latin1'));
    expect(os.fsdecode('abc\u0141')).toBe('abc\u0141');
  });
  test('test_identity', () => {
    for (const fn of ['unicode\u0141', 'latin\xe9', 'ascii']) expect(os.fsdecode(os.fsencode(fn))).toBe(fn);
  });
});

describe('test_os.ForkTests', () => {
  test('test_fork', () => {
    assertNodeOk(`
const pid = os.fork();
if (pid !== 0) waitProcess(pid, 0);
`);
  });
});

// fork_wait.ForkWait.test_wait without its threads: fork, the child exits with n = 0 (no
// thread changed), the parent runs wait_impl.
const forkWait = (waitImpl: string) => `
const cpid = os.fork();
if (cpid === 0) {
  os._exit(0);
} else {
  (${waitImpl})(cpid);
}
`;

describe('fork_wait.ForkWait (test_fork1)', () => {
  test('test_wait: wait_impl = waitpid(cpid, 0), status 0', () => {
    assertNodeOk(forkWait(`(cpid) => {
      const [spid, status] = os.waitpid(cpid, 0);
      assert.strictEqual(spid, cpid);
      assert.strictEqual(os.waitstatus_to_exitcode(status), 0);
    }`));
  });
});

describe('test_wait3.Wait3Test', () => {
  test('test_wait (wait_impl: wait3(WNOHANG) until the child is reported)', () => {
    assertNodeOk(forkWait(`(cpid) => {
      let spid, status, rusage;
      for (let i = 0; i < 3000; i++) {
        [spid, status, rusage] = os.wait3(os.WNOHANG);
        if (spid === cpid) break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
      assert.strictEqual(spid, cpid);
      assert.strictEqual(os.waitstatus_to_exitcode(status), 0);
      assert.ok(rusage);
    }`));
  });
  test('test_wait3_rusage_initialized', () => {
    // CPython's child blocks reading its stdin; a sleeping one is the same to wait3: with
    // WNOHANG nobody is ready, and the rusage is all zeros (bpo-36279)
    assertNodeOk(`
const pid = os.posix_spawn('/bin/sleep', ['sleep', '30']);
try {
  const [p, status, rusage] = os.wait3(os.WNOHANG);
  assert.strictEqual(p, 0);
  assert.strictEqual(status, 0);
  assert.strictEqual(Object.values(rusage).reduce((a, b) => a + b, 0), 0);
} finally {
  os.kill(pid, 'SIGKILL');
  os.waitpid(pid, 0);
}
`);
  });
});

describe('test_wait4.Wait4Test', () => {
  test('test_wait (wait_impl: wait4(cpid, WNOHANG) until the child is reported)', () => {
    assertNodeOk(forkWait(`(cpid) => {
      let spid, status, rusage;
      for (let i = 0; i < 3000; i++) {
        [spid, status, rusage] = os.wait4(cpid, os.WNOHANG);
        if (spid === cpid) break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
      assert.strictEqual(spid, cpid);
      assert.strictEqual(os.waitstatus_to_exitcode(status), 0);
      assert.ok(rusage);
    }`));
  });
});

describe('test_posix.PosixTester', () => {
  test('test_fexecve', () => {
    assertNodeOk(`
const fs = require('node:fs');
const fp = fs.openSync(${JSON.stringify(PY)}, 'r');
try {
  const pid = os.fork();
  if (pid === 0) {
    process.chdir(require('node:path').dirname(${JSON.stringify(PY)}));
    os.execve(fp, [${JSON.stringify(PY)}, '-c', 'pass'], process.env);
  } else {
    waitProcess(pid, 0);
  }
} finally {
  fs.closeSync(fp);
}
`);
  });

  test('test_waitid', () => {
    assertNodeOk(`
const pid = os.fork();
if (pid === 0) {
  process.chdir(require('node:path').dirname(${JSON.stringify(PY)}));
  os.execve(${JSON.stringify(PY)}, [${JSON.stringify(PY)}, '-c', 'pass'], process.env);
} else {
  const res = os.waitid(os.P_PID, pid, os.WEXITED);
  assert.strictEqual(pid, res.si_pid);
}
`);
  });

  test('test_register_at_fork', () => {
    const reg = (o: unknown) => () => os.register_at_fork(o as os.AtForkHooks);
    expect(reg(() => undefined)).toThrow(TypeError); // Positional args not allowed
    expect(reg({ before: 2 })).toThrow(TypeError); // Args must be callable
    expect(reg({ after_in_child: 'three' })).toThrow(TypeError);
    expect(reg({ after_in_parent: Buffer.from('Five') })).toThrow(TypeError);
    expect(reg({ before: null })).toThrow(TypeError); // Args must not be None
    expect(reg({ after_in_child: null })).toThrow(TypeError);
    expect(reg({ after_in_parent: null })).toThrow(TypeError);
    expect(reg({ before: null, after_in_parent: () => 3 })).toThrow(TypeError); // Invalid arg was allowed
    expect(reg({ before: () => undefined, after_in_child: '' })).toThrow(TypeError);
    // The registrations themselves, in their own process; CPython's pipe is a file here
    // (os.pipe: parity-api), appended to by both sides.
    const { dir, cleanup } = require('../helpers/os-core-children').tempDir() as { dir: string; cleanup: () => void };
    try {
      const out = path.join(dir, 'hooks');
      assertNodeOk(`
const fs = require('node:fs');
const w = (c) => () => fs.appendFileSync(${JSON.stringify(out)}, c);
os.register_at_fork({ before: w('A') });
os.register_at_fork({ after_in_parent: w('C') });
os.register_at_fork({ after_in_child: w('E') });
os.register_at_fork({ before: w('B'), after_in_parent: w('D'), after_in_child: w('F') });
const pid = os.fork();
if (pid === 0) {
  os._exit(0);
} else {
  waitProcess(pid, 0);
  const data = fs.readFileSync(${JSON.stringify(out)}, 'latin1');
  assert.strictEqual(data.length, 6, data);
  assert.strictEqual(data.slice(0, 2), 'BA', data); // before-fork callbacks
  assert.deepStrictEqual([...data.slice(2)].sort(), ['C', 'D', 'E', 'F'], data);
  assert.ok(data.indexOf('C') < data.indexOf('D'), data);
  assert.ok(data.indexOf('E') < data.indexOf('F'), data);
}
`);
    } finally {
      cleanup();
    }
  });
});

describe('test_pty.PtyTest', () => {
  test('test_fork', () => {
    assertNodeOk(`
const fs = require('node:fs');
const [pid, masterFd] = os.forkpty();
if (pid === 0) {
  // stdout should be connected to a tty.
  if (!require('node:tty').isatty(1)) os._exit(3);
  // After pty.fork(), the child should already be a session leader.
  try {
    os.setsid();
  } catch (e) {
    if (e.code !== 'EPERM') os._exit(1); // an unexpected error
    os._exit(4); // Good: OSError was raised.
  }
  os._exit(2); // os.setsid() succeeded! (bad!)
} else {
  const buf = Buffer.alloc(80);
  for (;;) {
    let n;
    try { n = fs.readSync(masterFd, buf, 0, 80, null); } catch { break; }
    if (n === 0) break;
  }
  const [, status] = os.waitpid(pid, 0);
  const res = os.waitstatus_to_exitcode(status);
  fs.closeSync(masterFd);
  assert.notStrictEqual(res, 1, 'Child raised an unexpected exception in os.setsid()');
  assert.notStrictEqual(res, 2, 'pty.fork() failed to make child a session leader.');
  assert.notStrictEqual(res, 3, 'Child spawned by pty.fork() did not have a tty as stdout');
  assert.strictEqual(res, 4, 'pty.fork() failed for unknown reasons.');
}
`);
  });
});
