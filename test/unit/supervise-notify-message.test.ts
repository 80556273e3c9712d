// The sd_notify text as systemd's manager parses it: a NUL refuses the datagram, unknown keys
// and malformed values are ignored one by one; any bytes at all never throw.
import fc from 'fast-check';
import { parseNotifyMessage } from '../../lib/supervise/notify-message';

const parse = (s: string | Uint8Array): ReturnType<typeof parseNotifyMessage> =>
  parseNotifyMessage(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);

test('every understood assignment, in one datagram', () => {
  expect(parse('READY=1\nSTATUS=up\nSTOPPING=1\nMAINPID=42\nWATCHDOG=1\nWATCHDOG_USEC=500000\nEXTEND_TIMEOUT_USEC=7\n')).toEqual({
    ready: true, status: 'up', stopping: true, mainPid: 42, watchdog: 'ping', watchdogUsec: 500000, extendTimeoutUsec: 7,
  });
});

test('WATCHDOG=trigger; the last line needs no newline; empty lines and unknown keys are ignored', () => {
  expect(parse('\n\nFDSTORE=1\nWATCHDOG=trigger')).toEqual({ watchdog: 'trigger' });
});

test.each([
  ['READY=0', {}],
  ['READY=yes', {}],
  ['MAINPID=0', {}],
  ['MAINPID=-5', {}],
  ['MAINPID=+5', {}],
  ['MAINPID=2147483648', {}],
  ['MAINPID= 5', {}],
  ['WATCHDOG_USEC=1e6', {}],
  ['EXTEND_TIMEOUT_USEC=99999999999999999', {}],
  ['=1', {}],
  ['READY', {}],
])('a malformed value is ignored: %s', (text, expected) => {
  expect(parse(text)).toEqual(expected);
});

test('a NUL byte anywhere refuses the whole datagram', () => {
  expect(parse('READY=1\n\u0000')).toBeUndefined();
});

test('a STATUS that is not UTF-8 is ignored, the rest of the datagram is not', () => {
  expect(parse(Uint8Array.from([...Buffer.from('STATUS='), 0xff, 0xfe, 0x0a, ...Buffer.from('READY=1')]))).toEqual({ ready: true });
  expect(parse(Buffer.from('STATUS=ça va\n', 'utf8'))).toEqual({ status: 'ça va' });
});

test('any bytes: never throws, and the result is undefined exactly when there is a NUL', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      const r = parseNotifyMessage(bytes);
      expect(r === undefined).toBe(bytes.includes(0));
    }),
    { numRuns: 500 },
  );
});
