// Issue 13, on fixture trees: rss comes from <pid>/statm (as ps and psutil read it), a
// non-UTF-8 comm or cmdline is kept losslessly (Python's surrogateescape, fsencode gives
// the bytes back), and the kernel's " (deleted)" suffix on exe is stripped into exeDeleted.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fsdecode, fsencode } from '../../lib/os';
import { getProcess, listProcesses } from '../../lib/proc';
import { runCli } from '../helpers/cli-run';

function statLine(pid: number, comm: Buffer | string, rssPages: number): Buffer {
  const head = Buffer.from(`${pid} (`);
  const tail = [')', 'S', 1, pid, pid, 0, -1, 0x400100, 11, 0, 2, 0, 150, 50, 7, 3, 20, 0, 1, 0, 40,
    4096000, rssPages, '18446744073709551615', 1, 1, 0, 0, 0, 0, 0, 4096, 134234626, 0, 0, 0, 17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].join(' ');
  return Buffer.concat([head, Buffer.from(comm), Buffer.from(`${tail}\n`)]);
}

let root: string;
const pageSize = 4096; // read back from the scan below: the test only compares multiples

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-bytes-'));
  const put = (rel: string, data: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
  };
  put('stat', 'cpu  1 2 3 4 5 6 7 0 0 0\nbtime 1700000000\n');
  put('60/stat', statLine(60, 'withstatm', 100));
  put('60/statm', '1000 321 50 10 0 200 0\n');
  put('61/stat', statLine(61, 'nostatm', 100));
  put('62/stat', statLine(62, Buffer.from([0x61, 0xff, 0x62, 0xc3, 0xa9]), 1)); // a, 0xff, b, é
  put('62/cmdline', Buffer.concat([Buffer.from('prog\0'), Buffer.from([0x80, 0x41, 0xe2, 0x82]), Buffer.from('\0')]));
  put('63/stat', statLine(63, 'gone-exe', 1));
  fs.symlinkSync('/nonexistent/unixproc-13/prog (deleted)', path.join(root, '63/exe'));
  put('64/stat', statLine(64, 'real-name', 1));
  // a file whose real name ends in " (deleted)" keeps it, as psutil's readlink()
  const odd = path.join(root, 'prog (deleted)');
  put('prog (deleted)', '');
  fs.symlinkSync(odd, path.join(root, '64/exe'));
  put('65/stat', statLine(65, 'locked', 1));
  put('65/status', 'Name:\tlocked\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nVmLck:\t       8 kB\n');
  put('66/stat', statLine(66, 'unlocked', 1));
  put('66/status', 'Name:\tunlocked\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nVmLck:\t       0 kB\n');
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const at = () => ({ procfs: root, procfsFixture: true });

test('rss is statm resident pages times the page size; without statm, stat field 24', () => {
  const t = listProcesses(at());
  const by = (pid: number) => t.find((p) => p.pid === pid);
  const a = by(60);
  const b = by(61);
  if (!a?.readable || !b?.readable) throw new Error('fixture entries unreadable');
  expect(a.rss / b.rss).toBe(321 / 100);
  expect(b.rss % pageSize).toBe(0);
});

test('a non-UTF-8 comm and cmdline keep their bytes (surrogateescape), as psutil reports them', () => {
  const p = getProcess(62, at());
  expect(p?.comm).toBe('a\udcffb\u00e9');
  expect(fsencode(p?.comm ?? '')).toEqual(Buffer.from([0x61, 0xff, 0x62, 0xc3, 0xa9]));
  expect(p?.cmdline).toEqual(['prog', '\udc80A\udce2\udc82']);
  expect(fsencode(p?.cmdline?.[1] ?? '')).toEqual(Buffer.from([0x80, 0x41, 0xe2, 0x82]));
});

test('exe " (deleted)" is stripped into exeDeleted; a real name with that suffix is kept', () => {
  expect(getProcess(63, at())).toEqual(expect.objectContaining({ exe: '/nonexistent/unixproc-13/prog', exeDeleted: true }));
  expect(getProcess(64, at())).toEqual(expect.objectContaining({ exe: path.join(root, 'prog (deleted)'), exeDeleted: false }));
});

describe('fsencode / fsdecode (Python os.fsencode, os.fsdecode)', () => {
  test.each([
    ['ASCII', Buffer.from('abc')],
    ['UTF-8', Buffer.from('é€😀')],
    ['invalid bytes', Buffer.from([0xff, 0xfe, 0x80])],
    ['an overlong NUL', Buffer.from([0xc0, 0x80])],
    ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['a truncated sequence', Buffer.from([0xe2, 0x82, 0x41])],
    ['beyond U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
  ])('%s round-trip', (_what, bytes) => {
    expect(fsencode(fsdecode(bytes))).toEqual(bytes);
  });
  test("decodes as Python's surrogateescape", () => {
    // python3 -c "print(ascii(b'\xed\xa0\x80\xe2\x82A'.decode('utf-8','surrogateescape')))"
    expect(fsdecode(Buffer.from([0xed, 0xa0, 0x80, 0xe2, 0x82, 0x41]))).toBe('\udced\udca0\udc80\udce2\udc82A');
  });
  test('a lone surrogate outside U+DC80..U+DCFF cannot be encoded (Python: UnicodeEncodeError)', () => {
    expect(() => fsencode('a\ud800')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => fsencode(1 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

test("ps STAT has procps's L when VmLck > 0 (after the nice flag, before s)", async () => {
  const r = await runCli(['ps', '--pid', '65,66', '--procfs', root, '--procfs-fixture']);
  const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  expect(rows.map((c) => [c[0], c[5]])).toEqual([['65', 'SLs'], ['66', 'Ss']]);
  expect(getProcess(65, at())?.lockedMemory).toBe(8192);
});
