// Contract of the procfs natives: procScan(dir, which, extras) and procConstants().
import * as path from 'node:path';
import { native } from '../../lib/native';

interface Binding {
  procScan(dir: string, which: number | number[], extras: number): [Float64Array, string, (string | number)[]] | number;
  procConstants(): [number, number, number];
}
const b = native<Binding>();
const tree = path.join(__dirname, '..', 'fixtures', 'proc', 'tree');

describe('procConstants', () => {
  test('returns the entry width, CLK_TCK and the page size', () => {
    const [width, clkTck, pageSize] = b.procConstants();
    expect(width).toBe(24);
    expect(clkTck).toBeGreaterThan(0);
    expect(pageSize % 4096).toBe(0);
  });
});

describe('procScan', () => {
  test('a root that does not exist returns -ENOENT', () => {
    expect(b.procScan('/no/such/root', -1, 0)).toBe(-2);
  });

  test('a root that is a file returns -ENOTDIR', () => {
    expect(b.procScan(path.join(tree, 'stat'), -1, 0)).toBe(-20);
  });

  test('one pid that is gone gives an empty result, not an error', () => {
    const r = b.procScan(tree, 4242, 0) as [Float64Array, string, unknown[]];
    expect(r[0].length).toBe(0);
    expect(r[1]).toBe('');
  });

  test('a list of pids returns those present, in list order, with one value per extra', () => {
    const r = b.procScan(tree, [106, 4242, 1], 1 | 2) as [Float64Array, string, (string | number)[]];
    expect(r[0].length).toBe(2 * 24);
    expect([r[0][0], r[0][24]]).toEqual([106, 1]);
    expect(r[1].split('\0')).toEqual(['worker', 'init']);
    expect(r[2]).toEqual(['worker\0--flag\0with space\0', '/usr/bin/worker', -2, -2]);
  });

  test('an unreadable entry carries its errno in field 1 and NaN elsewhere', () => {
    const r = b.procScan(tree, 105, 0) as [Float64Array, string, unknown[]];
    expect(r[0][0]).toBe(105);
    expect(r[0][1]).toBe(21); // EISDIR
    expect(Number.isNaN(r[0][2])).toBe(true);
  });

  test('the stdio extra encodes each of fds 0..2 as +target or -errno', () => {
    const r = b.procScan(tree, 106, 64) as [Float64Array, string, string[]];
    expect(r[2][0].split('\0')).toEqual(['+/dev/pts/3', '+/dev/null', '+/dev/null']);
    const none = b.procScan(tree, 1, 64) as [Float64Array, string, string[]];
    expect(none[2][0].split('\0')).toEqual(['-2', '-2', '-2']);
  });
});
