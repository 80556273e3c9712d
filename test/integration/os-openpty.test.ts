// os.openpty (issue 13), translated from CPython's test_pty (PtyTest.test_openpty,
// PtyTest.test_master_read): same inputs, same assertions. tty.tcgetattr comparisons are
// left out (no termios API here; the stdin of a jest worker is not a terminal, where
// CPython skips them too).
import * as os from '../../lib/os';

const TEST_STRING_1 = Buffer.from('I wish to buy a fish license.\n');
const TEST_STRING_2 = Buffer.from('For my pet fish, Eric.\n');

/** test_pty.normalize_output: the terminal's \r\n back to \n. */
const normalizeOutput = (data: Buffer): Buffer => Buffer.from(data.toString('latin1').replace(/\r\r\n/g, '\n').replace(/\r\n/g, '\n'), 'latin1');

/** test_pty._readline: bytes up to and including the first newline. */
function readline(fd: number): Buffer {
  const parts: Buffer[] = [];
  for (;;) {
    const b = os.read(fd, 1);
    if (b.length === 0) break;
    parts.push(b);
    if (b[0] === 0x0a) break;
  }
  return Buffer.concat(parts);
}

describe('PtyTest (test_pty)', () => {
  test('test_openpty: a pair whose slave is a tty, and what the slave writes the master reads', () => {
    const [masterFd, slaveFd] = os.openpty();
    try {
      expect(os.isatty(slaveFd)).toBe(true);
      // Ensure the fd is non-blocking in case there's nothing to read.
      const blocking = os.get_blocking(masterFd);
      try {
        os.set_blocking(masterFd, false);
        try {
          expect(os.read(masterFd, 1024)).toEqual(Buffer.alloc(0));
        } catch (e) {
          expect((e as { code: string }).code).toBe('EAGAIN');
        }
      } finally {
        os.set_blocking(masterFd, blocking);
      }
      os.write(slaveFd, TEST_STRING_1);
      expect(normalizeOutput(readline(masterFd)).toString()).toBe('I wish to buy a fish license.\n');
      os.write(slaveFd, TEST_STRING_2.subarray(0, 5));
      os.write(slaveFd, TEST_STRING_2.subarray(5));
      expect(normalizeOutput(readline(masterFd)).toString()).toBe('For my pet fish, Eric.\n');
    } finally {
      os.close(masterFd);
      os.close(slaveFd);
    }
  });

  test('test_master_read: after the slave is closed, reading the master gives EIO (Linux) or nothing', () => {
    const [masterFd, slaveFd] = os.openpty();
    try {
      os.close(slaveFd);
      let data: Buffer;
      try {
        data = os.read(masterFd, 1);
      } catch (e) {
        expect((e as { code: string }).code).toBe('EIO'); // OSError on Linux
        data = Buffer.alloc(0);
      }
      expect(data).toEqual(Buffer.alloc(0));
    } finally {
      os.close(masterFd);
    }
  });
});

describe('openpty beyond test_pty', () => {
  test('both ends are non-inheritable, the slave is a /dev/pts terminal, and it is not the caller\'s controlling terminal', () => {
    const [master, slave] = os.openpty();
    try {
      expect([os.get_inheritable(master), os.get_inheritable(slave)]).toEqual([false, false]);
      expect(os.ttyname(slave)).toMatch(/^\/dev\/pts\/\d+$/);
      expect(os.isatty(master)).toBe(true);
      expect(() => os.tcgetpgrp(slave)).toThrow(expect.objectContaining({ code: 'ENOTTY' }));
    } finally {
      os.close(master);
      os.close(slave);
    }
  });
});
