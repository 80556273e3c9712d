// The small pure decoders of the /proc readers.
import { parseFdinfoFlags } from '../../lib/proc/fds';
import { isTerminalPath } from '../../lib/proc/orphans';
import { parseCmdline } from '../../lib/proc/process-info';
import { stateCacheSize, STATE_NAMES, stateOf } from '../../lib/proc/states';
import { parseStatus } from '../../lib/proc/status';
import { decodeDevice, wellKnownTtyName } from '../../lib/proc/tty';

describe('states', () => {
  test.each([
    ['R', 'running'],
    ['S', 'sleeping'],
    ['D', 'disk-sleep'],
    ['T', 'stopped'],
    ['t', 'tracing-stop'],
    ['Z', 'zombie'],
    ['X', 'dead'],
    ['x', 'dead'],
    ['K', 'wake-kill'],
    ['W', 'waking'],
    ['I', 'idle'],
    ['P', 'parked'],
  ])('letter %s is %s, with a meaning', (letter, name) => {
    expect(stateOf(letter)).toEqual({ letter, name, meaning: expect.any(String) });
    expect(STATE_NAMES).toContain(name);
  });

  test('an unknown letter is unknown and keeps the letter', () => {
    expect(stateOf('?')).toEqual(expect.objectContaining({ letter: '?', name: 'unknown' }));
  });

  test('unknown strings that are not one letter are answered but never cached', () => {
    const before = stateCacheSize();
    for (let i = 0; i < 1000; i++) expect(stateOf(`q${i}`).name).toBe('unknown');
    expect(stateCacheSize()).toBe(before);
    // Not cached: each call builds its own (equal) answer.
    expect(stateOf('q1')).not.toBe(stateOf('q1'));
    expect(stateOf('q1')).toEqual(stateOf('q1'));
  });

  test('an unknown single letter is cached: the same object each time, one entry', () => {
    const before = stateCacheSize();
    expect(stateOf('Y')).toBe(stateOf('Y'));
    expect(stateCacheSize()).toBe(before + 1);
  });
});

describe('terminal device numbers', () => {
  test('decodeDevice splits new_encode_dev numbers, minors above 255 included', () => {
    expect(decodeDevice((136 << 8) | 3)).toEqual({ major: 136, minor: 3 });
    expect(decodeDevice((300 & 0xff) | (136 << 8) | ((300 & ~0xff) << 12))).toEqual({ major: 136, minor: 300 });
  });

  test.each([
    [136, 0, '/dev/pts/0'],
    [137, 2, '/dev/pts/258'],
    [4, 0, '/dev/tty0'],
    [4, 7, '/dev/tty7'],
    [4, 65, '/dev/ttyS1'],
    [5, 0, '/dev/tty'],
    [5, 1, '/dev/console'],
    [3, 4, '/dev/ttyp4'],
    [188, 0, undefined],
  ])('major %i minor %i is %s', (major, minor, name) => {
    expect(wellKnownTtyName(major, minor)).toBe(name);
  });
});

describe('status, cmdline and fdinfo', () => {
  test('parseStatus reads the four uids and gids', () => {
    expect(parseStatus('Name:\tx\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\n')).toEqual({
      uids: { real: 1, effective: 2, saved: 3, filesystem: 4 },
      gids: { real: 5, effective: 6, saved: 7, filesystem: 8 },
    });
  });

  test('parseStatus gives undefined for missing or malformed lines', () => {
    expect(parseStatus('Name:\tx\nUid:\t1\t2\n')).toEqual({ uids: undefined, gids: undefined });
  });

  test('parseCmdline splits on NUL and drops the final terminator', () => {
    expect(parseCmdline('a\0b c\0\0')).toEqual(['a', 'b c', '']);
    expect(parseCmdline('a\0')).toEqual(['a']);
    expect(parseCmdline('')).toEqual([]);
  });

  test('parseFdinfoFlags reads the octal flags line', () => {
    expect(parseFdinfoFlags('pos:\t0\nflags:\t02100002\nmnt_id:\t1\n')).toBe(0o2100002);
    expect(parseFdinfoFlags('pos:\t0\n')).toBeUndefined();
  });

  test('isTerminalPath knows pts, ttys, serial ports and the console, not /dev/null', () => {
    for (const p of ['/dev/pts/0', '/dev/tty1', '/dev/ttyS0', '/dev/ttyUSB0', '/dev/console', '/dev/tty']) {
      expect(isTerminalPath(p)).toBe(true);
    }
    for (const p of ['/dev/null', 'pipe:[1]', '/tmp/tty1', undefined]) expect(isTerminalPath(p)).toBe(false);
  });
});
