// native/notify.cc's contract: bind errors as -errno, -EAGAIN on an empty queue, the whole
// length and MSG_TRUNC for a datagram longer than the buffer, the sender's credentials, and
// passed descriptors handed back (the caller closes them).
import { notifyBinding } from '../../lib/supervise/notify-socket';
import { binding } from '../../lib/spawn/native-child';

const b = notifyBinding();
const name = (): Buffer => Buffer.from(`unixproc-test/${process.pid}/${Math.random().toString(16).slice(2)}`);

test('an empty queue is -EAGAIN; a datagram comes with this process credentials', () => {
  const addr = name();
  const fd = b.notifyBind(addr, true);
  expect(fd).toBeGreaterThanOrEqual(0);
  try {
    const buf = Buffer.alloc(16);
    expect(b.notifyReceive(fd, buf)).toBe(-11);
    expect(b.notifySend(addr, true, Buffer.from('READY=1'))).toBe(7);
    const r = b.notifyReceive(fd, buf) as Int32Array;
    expect([...r]).toEqual([7, process.pid, process.getuid?.(), process.getgid?.(), 0]);
    expect(buf.subarray(0, 7).toString()).toBe('READY=1');
  } finally {
    binding().closeFd(fd);
  }
});

test('a datagram longer than the buffer: its whole length and MSG_TRUNC; the queue moves on', () => {
  const addr = name();
  const fd = b.notifyBind(addr, true);
  try {
    b.notifySend(addr, true, Buffer.alloc(5000, 0x41));
    const r = b.notifyReceive(fd, Buffer.alloc(4096)) as Int32Array;
    expect([r[0], r[4] & 1]).toEqual([5000, 1]);
    expect(b.notifyReceive(fd, Buffer.alloc(16))).toBe(-11);
  } finally {
    binding().closeFd(fd);
  }
});

test('binding a name twice is -EADDRINUSE; an address longer than sun_path is -ENAMETOOLONG; bad arguments -EINVAL', () => {
  const addr = name();
  const fd = b.notifyBind(addr, true);
  try {
    expect(b.notifyBind(addr, true)).toBe(-98);
    expect(b.notifyBind(Buffer.alloc(200, 0x61), false)).toBe(-36);
    expect(b.notifyBind(Buffer.alloc(0), true)).toBe(-36);
    expect(b.notifyReceive(-1, Buffer.alloc(1))).toBe(-22);
    expect((b.notifyReceive as (...a: unknown[]) => unknown)(fd, 'x')).toBe(-22);
    expect(b.notifySend(Buffer.from('/nonexistent/unixproc.sock'), false, Buffer.from('x'))).toBe(-2);
  } finally {
    binding().closeFd(fd);
  }
});

test('descriptors passed with a datagram are handed back, open; nothing else keeps them', async () => {
  // Python passes a pipe's write end and exits: the descriptor comes back, open, to be closed here.
  const { spawnSync } = await import('node:child_process');
  const addr = name();
  const fd = b.notifyBind(addr, true);
  try {
    const py = `import os, socket, array
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
rd, wr = os.pipe()
s.sendmsg([b'X'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [wr]).tobytes())], 0, '\\0${addr.toString()}')`;
    expect(spawnSync('python3', ['-c', py]).status).toBe(0);
    const got = b.notifyReceive(fd, Buffer.alloc(16)) as Int32Array;
    expect(got.length).toBe(6);
    const passed = got[5];
    expect(binding().closeFd(passed)).toBe(0); // it was open, and is ours to close
  } finally {
    binding().closeFd(fd);
  }
});
