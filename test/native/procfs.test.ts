// Contract of the procfs natives: procScan(dir, which, extras, fixture), procReadFile and
// procConstants().
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { native } from '../../lib/native';

interface Binding {
  procScan(dir: string, which: number | number[], extras: number, fixture: boolean): [Float64Array, string, (string | number)[], number[]] | number;
  procReadFile(dir: string, name: string, cap: number, fixture: boolean): [string, boolean] | number;
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
    expect(b.procScan('/no/such/root', -1, 0, true)).toBe(-2);
  });

  test('a root that is a file returns -ENOTDIR', () => {
    expect(b.procScan(path.join(tree, 'stat'), -1, 0, true)).toBe(-20);
  });

  test('one pid that is gone gives an empty result, not an error', () => {
    const r = b.procScan(tree, 4242, 0, true) as [Float64Array, string, unknown[], number[]];
    expect(r[0].length).toBe(0);
    expect(r[1]).toBe('');
  });

  test('a list of pids returns those present, in list order, with one value per extra', () => {
    const r = b.procScan(tree, [106, 4242, 1], 1 | 2, true) as [Float64Array, string, (string | number)[], number[]];
    expect(r[0].length).toBe(2 * 24);
    expect([r[0][0], r[0][24]]).toEqual([106, 1]);
    expect(r[1].split('\0')).toEqual(['worker', 'init']);
    expect(r[2]).toEqual(['worker\0--flag\0with space\0', '/usr/bin/worker', -2, -2]);
  });

  test('an unreadable entry carries its errno in field 1 and NaN elsewhere', () => {
    const r = b.procScan(tree, 105, 0, true) as [Float64Array, string, unknown[], number[]];
    expect(r[0][0]).toBe(105);
    expect(r[0][1]).toBe(21); // EISDIR
    expect(Number.isNaN(r[0][2])).toBe(true);
  });

  test('the stdio extra encodes each of fds 0..2 as +target or -errno', () => {
    const r = b.procScan(tree, 106, 64, true) as [Float64Array, string, string[], number[]];
    expect(r[2][0].split('\0')).toEqual(['+/dev/pts/3', '+/dev/null', '+/dev/null']);
    const none = b.procScan(tree, 1, 64, true) as [Float64Array, string, string[], number[]];
    expect(none[2][0].split('\0')).toEqual(['-2', '-2', '-2']);
  });
});

describe('procScan link extras are never truncated', () => {
  // exe (2) and cwd (4) of a written tree whose links have targets of chosen lengths: 255
  // and 256 bytes (either side of the first read's buffer), and 4095, the longest target
  // symlink(2) accepts (PATH_MAX - 1), which is also the longest a /proc link can be.
  let root: string;
  const target = (len: number, c: string) => '/' + c.repeat(len - 1);
  const stat = (pid: number) =>
    `${pid} (long) S 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 1 1 0 0 20 0 1 0 100 4096 1 0 1 1 0 0 0 0 0 0 0 0 0 0 0 17 0\n`;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-links-'));
    fs.writeFileSync(path.join(root, 'stat'), 'btime 1700000000\n');
    for (const [pid, exeLen, cwdLen] of [[10, 255, 256], [11, 4095, 4095]]) {
      fs.mkdirSync(path.join(root, String(pid)));
      fs.writeFileSync(path.join(root, String(pid), 'stat'), stat(pid));
      fs.symlinkSync(target(exeLen, 'e'), path.join(root, String(pid), 'exe'));
      fs.symlinkSync(target(cwdLen, 'c'), path.join(root, String(pid), 'cwd'));
    }
  });

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('targets of 255 and 256 bytes come back whole', () => {
    const r = b.procScan(root, 10, 2 | 4, true) as [Float64Array, string, string[], number[]];
    expect(r[2].map((t) => t.length)).toEqual([255, 256]);
    expect(r[2]).toEqual([target(255, 'e'), target(256, 'c')]);
  });

  test('a target of 4095 bytes (PATH_MAX - 1) comes back whole', () => {
    const r = b.procScan(root, 11, 2 | 4, true) as [Float64Array, string, string[], number[]];
    expect(r[2]).toEqual([target(4095, 'e'), target(4095, 'c')]);
  });
});

describe('procScan and procReadFile on a root that is not a procfs', () => {
  test('procScan returns -EMEDIUMTYPE for a fixture tree unless fixture is true', () => {
    expect(b.procScan(tree, -1, 0, false)).toBe(-124);
    expect(Array.isArray(b.procScan(tree, -1, 0, true))).toBe(true);
  });

  test('procScan reads /proc with fixture false: it is a procfs', () => {
    const r = b.procScan('/proc', process.pid, 0, false) as [Float64Array, string, unknown[], number[]];
    expect(r[0][0]).toBe(process.pid);
    expect(r[0][1]).toBe(0);
  });

  test('procReadFile returns -EMEDIUMTYPE for a fixture tree unless fixture is true', () => {
    expect(b.procReadFile(tree, 'stat', 4096, false)).toBe(-124);
    const [text, truncated] = b.procReadFile(tree, 'stat', 4096, true) as [string, boolean];
    expect(text).toBe(fs.readFileSync(path.join(tree, 'stat'), 'utf8'));
    expect(truncated).toBe(false);
  });

  test('procReadFile stops at the cap and says it did', () => {
    expect(b.procReadFile(tree, 'stat', 5, true)).toEqual([fs.readFileSync(path.join(tree, 'stat'), 'utf8').slice(0, 5), true]);
  });

  test('procReadFile reads /proc/self/status bounded', () => {
    const [text, truncated] = b.procReadFile('/proc', 'self/status', 1 << 16, false) as [string, boolean];
    expect(text).toMatch(new RegExp(`^Pid:\\t${process.pid}$`, 'm'));
    expect(truncated).toBe(false);
  });

  test('bad arguments are -EINVAL before any syscall', () => {
    expect(b.procScan(tree, -1, 0, 'yes' as never)).toBe(-22);
    expect(b.procReadFile(tree, 'stat', -1, true)).toBe(-22);
    expect(b.procReadFile(tree, 'stat', 10, undefined as never)).toBe(-22);
  });
});

describe('procScan on a written tree lists only canonical pid names', () => {
  let root: string;
  const stat = (pid: number) =>
    `${pid} (p) S 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 1 1 0 0 20 0 1 0 100 4096 1 0 1 1 0 0 0 0 0 0 0 0 0 0 0 17 0\n`;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-names-'));
    // 99999999999999999999 would wrap strtol; 0007 would read as a second pid 7.
    for (const name of ['7', '0007', '99999999999999999999', '2147483648', '2147483647']) {
      fs.mkdirSync(path.join(root, name));
      fs.writeFileSync(path.join(root, name, 'stat'), stat(7));
    }
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('names with a leading zero or beyond INT_MAX are not pids', () => {
    const r = b.procScan(root, -1, 0, true) as [Float64Array, string, unknown[], number[]];
    const pids = [];
    for (let i = 0; i < r[0].length; i += 24) pids.push(r[0][i]);
    expect(pids.sort((x, y) => x - y)).toEqual([7, 2147483647]);
  });
});
