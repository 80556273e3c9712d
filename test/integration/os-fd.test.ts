// The fd calls of unixproc/os (issue 13): pipe, pipe2, dup, dup2, close, closerange, read,
// write, isatty, ttyname, login_tty, translated from CPython's own tests (each case names
// the CPython test it comes from; same inputs, same assertions), plus their use with Node
// streams. Python's OSError(errno) is a system error with that `code`; TypeError/
// OverflowError are ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as os from '../../lib/os';

const ROOT = path.resolve(__dirname, '..', '..');
const THIS_FILE = __filename;
const FD_CLOEXEC_FLAG = 0o2000000; // O_CLOEXEC in /proc/self/fdinfo flags

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) {
    try {
      cleanups.pop()?.();
    } catch {
      // already closed by the test
    }
  }
});
const addCleanupClose = (fd: number): void => {
  cleanups.push(() => os.close(fd));
};
const openThisFile = (): number => {
  const fd = fs.openSync(THIS_FILE, 'r');
  addCleanupClose(fd);
  return fd;
};

/** os_helper.make_bad_fd(): the number of an fd that was open and is closed now. */
function makeBadFd(): number {
  const fd = fs.openSync(THIS_FILE, 'r');
  fs.closeSync(fd);
  return fd;
}

/** What `f(badFd, ...)` throws: it must be EBADF (TestInvalidFD.check). */
function expectEbadf(f: () => unknown): void {
  expect(f).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9 }));
}

describe('FDInheritanceTests (test_os)', () => {
  test('test_pipe: both ends of os.pipe() are non-inheritable', () => {
    const [rfd, wfd] = os.pipe();
    addCleanupClose(rfd);
    addCleanupClose(wfd);
    expect(os.get_inheritable(rfd)).toBe(false);
    expect(os.get_inheritable(wfd)).toBe(false);
  });

  test('test_dup: os.dup() makes a non-inheritable fd', () => {
    const fd1 = openThisFile();
    const fd2 = os.dup(fd1);
    addCleanupClose(fd2);
    expect(os.get_inheritable(fd2)).toBe(false);
  });

  test('test_dup_standard_stream: os.dup(1) is a positive fd', () => {
    const fd = os.dup(1);
    addCleanupClose(fd);
    expect(fd).toBeGreaterThan(0);
  });

  test('test_dup2: inheritable by default, non-inheritable with inheritable=false', () => {
    const fd = openThisFile();
    const fd2 = openThisFile();
    expect(os.dup2(fd, fd2)).toBe(fd2);
    expect(os.get_inheritable(fd2)).toBe(true);
    const fd3 = openThisFile();
    expect(os.dup2(fd, fd3, false)).toBe(fd3);
    expect(os.get_inheritable(fd3)).toBe(false);
  });

  test('test_get_set_inheritable_badf: EBADF from get_inheritable and set_inheritable', () => {
    const fd = makeBadFd();
    expectEbadf(() => os.get_inheritable(fd));
    expectEbadf(() => os.set_inheritable(fd, true));
    expectEbadf(() => os.set_inheritable(fd, false));
  });
});

describe('BlockingTests (test_os)', () => {
  test('test_blocking: get_blocking follows set_blocking', () => {
    const fd = openThisFile();
    expect(os.get_blocking(fd)).toBe(true);
    os.set_blocking(fd, false);
    expect(os.get_blocking(fd)).toBe(false);
    os.set_blocking(fd, true);
    expect(os.get_blocking(fd)).toBe(true);
  });
});

describe('TestInvalidFD (test_os): the fd calls on a closed fd', () => {
  test('test_dup: EBADF', () => expectEbadf(() => os.dup(makeBadFd())));
  test('test_ttyname: EBADF', () => expectEbadf(() => os.ttyname(makeBadFd())));
  test('test_isatty: false, not an error', () => expect(os.isatty(makeBadFd())).toBe(false));
  test('test_dup2: EBADF', () => expectEbadf(() => os.dup2(makeBadFd(), 20)));
  test('test_read: EBADF', () => expectEbadf(() => os.read(makeBadFd(), 1)));
  test('test_write: EBADF', () => expectEbadf(() => os.write(makeBadFd(), Buffer.from(' '))));
  test('test_blocking: EBADF from get_blocking and set_blocking', () => {
    expectEbadf(() => os.get_blocking(makeBadFd()));
    expectEbadf(() => os.set_blocking(makeBadFd(), true));
  });

  test('test_closerange: closing a range of closed fds returns nothing and throws nothing', () => {
    const fd = makeBadFd();
    let i = 0;
    for (; i < 10; i++) {
      try {
        fs.fstatSync(fd + i);
        break;
      } catch {
        // not open: part of the range
      }
    }
    if (i < 2) return; // CPython skips: "Unable to acquire a range of invalid file descriptors"
    expect(os.closerange(fd, fd + i - 1)).toBeUndefined();
  });

  test('test_dup2_negative_fd: every pair of (valid, -1, -2**31) is EBADF', () => {
    const validFd = openThisFile();
    const fds = [validFd, -1, -(2 ** 31)];
    for (const fd of fds) {
      for (const fd2 of fds) {
        if (fd === fd2) continue;
        expect([fd, fd2, (() => { try { os.dup2(fd, fd2); return 'no error'; } catch (e) { return (e as { code: string }).code; } })()])
          .toEqual([fd, fd2, 'EBADF']);
      }
    }
  });

  test('close(-1) is EBADF from the kernel, as Python (not a RangeError)', () => {
    expect(() => os.close(-1)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'close', message: 'close EBADF' }));
  });
});

describe('PosixTester (test_posix)', () => {
  test('test_pipe: os.pipe() gives two fds that close', () => {
    const [reader, writer] = os.pipe();
    os.close(reader);
    os.close(writer);
    expectEbadf(() => os.get_inheritable(reader));
  });

  test('test_pipe2: flags checked, non-blocking and non-inheritable ends, read fails instead of blocking', () => {
    expect(() => os.pipe2('DEADBEEF' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    // (os.pipe2(0, 0): a TypeError in Python; JavaScript ignores extra arguments.)
    let [r, w] = os.pipe2(0);
    expect([os.get_inheritable(r), os.get_inheritable(w)]).toEqual([true, true]);
    os.close(r);
    os.close(w);
    [r, w] = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK);
    addCleanupClose(r);
    addCleanupClose(w);
    expect(os.get_inheritable(r)).toBe(false);
    expect(os.get_inheritable(w)).toBe(false);
    expect(os.get_blocking(r)).toBe(false);
    expect(os.get_blocking(w)).toBe(false);
    // try reading from an empty pipe: this should fail, not block (BlockingIOError, EAGAIN)
    expect(() => os.read(r, 1)).toThrow(expect.objectContaining({ code: 'EAGAIN', errno: -11, syscall: 'read' }));
    // a write big enough to fill the pipe: a partial write or EAGAIN, never a block
    const big = Buffer.alloc(4 * 1024 * 1024, 'x');
    let written = -1;
    try {
      written = os.write(w, big);
    } catch (e) {
      expect((e as { code: string }).code).toBe('EAGAIN');
    }
    expect(written).toBeLessThan(big.length);
    expect(() => os.write(w, big)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
  });

  test('test_pipe2_c_limits: flags beyond INT_MAX are out of range (OverflowError)', () => {
    expect(() => os.pipe2(2 ** 31)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => os.pipe2(2 ** 32)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('test_dup: posix.dup returns an int fd', () => {
    const fd0 = openThisFile();
    const fd = os.dup(fd0);
    expect(Number.isInteger(fd)).toBe(true);
    os.close(fd);
  });

  test('test_dup2: posix.dup2 onto another open fd', () => {
    const fp1 = openThisFile();
    const fp2 = openThisFile();
    expect(os.dup2(fp1, fp2)).toBe(fp2);
    // the same open file description now: a seek through one moves the other
    os.read(fp1, 5);
    expect(os.read(fp2, 5)).toEqual(fs.readFileSync(THIS_FILE).subarray(5, 10));
  });

  test('dup2(fd, fd, inheritable=false) is EINVAL, as CPython (dup3)', () => {
    const fd = openThisFile();
    expect(() => os.dup2(fd, fd, false)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'dup2' }));
    expect(os.dup2(fd, fd)).toBe(fd);
  });
});

describe('FileTests (test_os)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'unixproc-fd-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('test_write: bytes-like objects are written, strings refused', () => {
    const file = path.join(dir, 'TESTFN');
    const fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_WRONLY);
    expect(() => os.write(fd, 'beans' as unknown as Buffer)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(os.write(fd, Buffer.from('bacon\n'))).toBe(6);
    expect(os.write(fd, new Uint8Array(Buffer.from('eggs\n')))).toBe(5); // bytearray
    const spam = Buffer.from('xxspam\nxx');
    expect(os.write(fd, new DataView(spam.buffer, spam.byteOffset + 2, 5))).toBe(5); // memoryview
    os.close(fd);
    expect(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)).toEqual(['bacon', 'eggs', 'spam']);
  });

  test('test_read: os.read returns the bytes as a Buffer', () => {
    const file = path.join(dir, 'TESTFN');
    fs.writeFileSync(file, 'spam');
    const fd = fs.openSync(file, 'r');
    addCleanupClose(fd);
    const s = os.read(fd, 4);
    expect(Buffer.isBuffer(s)).toBe(true);
    expect(s.toString()).toBe('spam');
    expect(os.read(fd, 4)).toEqual(Buffer.alloc(0)); // end of file
  });

  test('test_closerange: closes an fd that is open and one that is not', () => {
    const file = path.join(dir, 'TESTFN');
    let first = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR);
    let second = os.dup(first);
    let retries = 0;
    while (second !== first + 1) {
      os.close(first);
      if (++retries > 10) {
        os.close(second);
        return; // CPython skips: "couldn't allocate two consecutive fds"
      }
      [first, second] = [second, os.dup(second)];
    }
    os.close(second);
    os.closerange(first, first + 2);
    expect(() => os.write(first, Buffer.from('a'))).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  test('read(fd, -1) is EINVAL, as CPython', () => {
    const fd = openThisFile();
    expect(() => os.read(fd, -1)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'read' }));
    expect(() => os.read(fd, 1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('the fds work with Node streams', () => {
  test('a pipe read end in net.Socket({ fd }) receives what os.write wrote', async () => {
    const [r, w] = os.pipe();
    const socket = new net.Socket({ fd: r, readable: true, writable: false });
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve) => socket.on('end', resolve));
    socket.on('data', (c: Buffer) => chunks.push(c));
    expect(os.write(w, Buffer.from('through a socket\n'))).toBe(17);
    os.close(w);
    await ended;
    socket.destroy();
    expect(Buffer.concat(chunks).toString()).toBe('through a socket\n');
  });

  test('a pipe read end in fs.createReadStream(null, { fd }) reads to end of file', async () => {
    const [r, w] = os.pipe();
    const stream = fs.createReadStream('', { fd: r });
    os.write(w, Buffer.from('through a read stream'));
    os.close(w);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('through a read stream');
    expect(() => os.get_inheritable(r)).toThrow(expect.objectContaining({ code: 'EBADF' })); // autoClose
  });

  test('a pipe write end in fs.createWriteStream(null, { fd }) reaches os.read', async () => {
    const [r, w] = os.pipe();
    addCleanupClose(r);
    const stream = fs.createWriteStream('', { fd: w });
    await new Promise<void>((resolve, reject) => stream.end('from a write stream', () => resolve()).on('error', reject));
    await new Promise<void>((resolve) => stream.on('close', () => resolve()));
    expect(os.read(r, 100).toString()).toBe('from a write stream');
    expect(os.read(r, 100).length).toBe(0); // the write end was closed by the stream
  });
});

describe('classic patterns', () => {
  test("the issue's pipe + spawn pattern: a child writes into the pipe made inheritable with dup2", () => {
    const [r, w] = os.pipe();
    addCleanupClose(r);
    // fd 1 of the child: posix_spawn's file action, as dup2(w, 1) in a forked child
    const pid = os.posix_spawnp('sh', ['sh', '-c', 'echo from the child'], null, {
      file_actions: [[os.POSIX_SPAWN_DUP2, w, 1]],
    });
    os.close(w);
    const out = os.read(r, 65536);
    const [reaped, status] = os.waitpid(pid, 0);
    expect([reaped, os.waitstatus_to_exitcode(status), out.toString()]).toEqual([pid, 0, 'from the child\n']);
  });

  test('close() forgets an fd made inheritable, so the next fd with that number starts private', () => {
    const fd = os.dup(0);
    os.set_inheritable(fd, true);
    os.close(fd);
    const again = os.dup(0);
    addCleanupClose(again);
    expect(again).toBe(fd);
    expect(os.get_inheritable(again)).toBe(false);
    const flags = Number.parseInt(/flags:\s*(\d+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${again}`, 'utf8'))?.[1] ?? '0', 8);
    expect(flags & FD_CLOEXEC_FLAG).toBe(FD_CLOEXEC_FLAG); // fdinfo shows FD_CLOEXEC as O_CLOEXEC
  });
});

describe('PEP 446 across exec', () => {
  test("execv keeps dup2's inheritable fd2 and pipe2's inheritable ends, and closes pipe()'s and dup()'s", () => {
    const script = `
      require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))});
      const os = require(${JSON.stringify(path.join(ROOT, 'lib/os'))});
      const [r, w] = os.pipe();
      const d = os.dup(r);
      os.dup2(r, 50);
      os.dup2(r, 51, false);
      const [ir, iw] = os.pipe2(0);
      process.stdout.write(JSON.stringify({ r, w, d, ir, iw }) + '\\n');
      os.execv('/bin/sh', ['sh', '-c', 'ls /proc/self/fd']);
    `;
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
    const [first, ...rest] = out.stdout.trim().split('\n');
    const fds = JSON.parse(first);
    const open = rest.map(Number);
    expect(open).toEqual(expect.arrayContaining([0, 1, 2, 50, fds.ir, fds.iw]));
    expect([fds.r, fds.w, fds.d, 51].filter((fd) => open.includes(fd))).toEqual([]);
  });
});

describe('login_tty, isatty, ttyname', () => {
  test('login_tty makes the caller a session leader with the terminal on 0, 1 and 2', () => {
    const script = `
      require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))});
      const os = require(${JSON.stringify(path.join(ROOT, 'lib/os'))});
      const fs = require('node:fs');
      const [master, slave] = os.openpty();
      const name = os.ttyname(slave);
      os.login_tty(slave);
      os.write(1, Buffer.from('on the terminal\\n'));
      const seen = os.read(master, 100).toString();
      const result = { sid: os.getsid(0) === process.pid, tty: [0, 1, 2].map((fd) => os.ttyname(fd) === name),
        isatty: [0, 1, 2].map((fd) => os.isatty(fd)), slaveClosed: (() => { try { os.get_inheritable(slave); return false; } catch (e) { return e.code; } })(),
        ctty: fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[4] !== '0', seen };
      fs.writeSync(3, JSON.stringify(result));
    `;
    const r = spawnSync(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], timeout: 30000 });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.output[3]!.toString())).toEqual({
      sid: true,
      tty: [true, true, true],
      isatty: [true, true, true],
      slaveClosed: 'EBADF',
      ctty: true,
      seen: 'on the terminal\r\n',
    });
  });

  test('login_tty on an fd that is not a terminal is ENOTTY (after setsid, as login_tty(3))', () => {
    const script = `
      require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))});
      const os = require(${JSON.stringify(path.join(ROOT, 'lib/os'))});
      const [r] = os.pipe();
      try { os.login_tty(r); console.log('no error'); } catch (e) { console.log(e.code, e.syscall); }
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
    expect(r.stdout.trim()).toBe('ENOTTY login_tty');
  });

  test('ttyname of a pipe is ENOTTY; isatty of a pipe is false', () => {
    const [r, w] = os.pipe();
    addCleanupClose(r);
    addCleanupClose(w);
    expect(() => os.ttyname(r)).toThrow(expect.objectContaining({ code: 'ENOTTY', syscall: 'ttyname' }));
    expect(os.isatty(r)).toBe(false);
    expect(os.isatty(-1)).toBe(false);
  });

  test('arguments of the wrong type or outside int range are refused before any syscall', () => {
    expect(() => os.close('3' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => os.dup(2 ** 31)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => os.dup2(0, 1, 1 as unknown as boolean)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => os.read(0, '1' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => os.closerange(0, 2 ** 31)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
