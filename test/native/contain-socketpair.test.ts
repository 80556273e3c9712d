// native/contain.cc: socketPair() returns two connected, close-on-exec AF_UNIX stream sockets.
import { readFileSync, readSync, writeSync } from 'node:fs';
import { containBinding } from '../../lib/contain/launch';

test('socketPair gives two connected close-on-exec fds', () => {
  const r = containBinding().socketPair();
  expect(Array.isArray(r)).toBe(true);
  const [a, b] = r as [number, number];
  try {
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThanOrEqual(0);
    for (const fd of [a, b]) {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
      expect((parseInt(flags![1], 8) & 0o2000000) !== 0).toBe(true); // O_CLOEXEC
    }
    expect(writeSync(a, 'ping')).toBe(4);
    const buf = Buffer.alloc(4);
    expect(readSync(b, buf, 0, 4, null)).toBe(4);
    expect(buf.toString()).toBe('ping');
  } finally {
    containBinding().closeFd(a);
    containBinding().closeFd(b);
  }
});
