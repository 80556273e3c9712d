// The head start of `unixproc ps` (lib/cli/prefetch.ts, lib/proc/binding.ts prefetchScan):
// the bin starts the table scan before it loads the rest of its code, and the command's
// first scan takes it. Checked here: each argument list the prefetch knows is really the
// scan the command makes (a wrong guess would silently cost a second scan); a prefetched
// table has every entry once, in pid order, across its chunks; a prefetch that does not fit
// (other extras, too old) is thrown away and the table read anew; and the real bin prints
// what it found. The time saved is measured in bench/cli-startup.js, not here.
import { ChildProcess, spawn } from 'node:child_process';
import { main } from '../../lib/cli';
import { predictedScanExtras, prefetchFor } from '../../lib/cli/prefetch';
import { discardPrefetched, Extra, prefetchHitCount, prefetchScan } from '../../lib/proc/binding';
import { listProcesses } from '../../lib/proc';
import { runBin } from '../helpers/cli-run';

const sink = { write: () => true };

async function runPs(argv: readonly string[]): Promise<number> {
  let err = '';
  const code = await main(['ps', ...argv], { stdout: sink, stderr: { write: (s: string) => ((err += s), true) } });
  if (code !== 0) throw new Error(`ps ${argv.join(' ')}: exit ${code}: ${err}`);
  return code;
}

let sleepers: ChildProcess[] = [];

beforeAll(async () => {
  // More than two chunks (128 entries each) of this process's own children.
  sleepers = Array.from({ length: 300 }, () => spawn('sleep', ['600'], { stdio: 'ignore' }));
  await Promise.all(sleepers.map((s) => new Promise((r) => s.once('spawn', r))));
});

afterAll(async () => {
  discardPrefetched();
  await Promise.all(
    sleepers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.exitCode !== null || s.signalCode !== null) return resolve();
          s.once('exit', () => resolve());
          s.kill('SIGKILL');
        }),
    ),
  );
});

describe('which invocations are prefetched', () => {
  const known: readonly (readonly string[])[] = [
    [],
    ['-e'],
    ['-A'],
    ['--kernel'],
    ['-e', '--kernel'],
    ['-f'],
    ['-ef'],
    ['-e', '-f'],
    ['--cmdline'],
    ['aux'],
    ['auxww'],
    ['ux'],
    ['ax'],
    ['x'],
  ];
  test.each(known.map((a) => [a.join(' ') || '(none)', a]))('ps %s: the command takes the prefetched scan', async (_name, argv) => {
    const extras = predictedScanExtras(['ps', ...argv]);
    expect(typeof extras).toBe('number');
    const before = prefetchHitCount();
    prefetchFor(['ps', ...argv]);
    await runPs(argv);
    expect(prefetchHitCount()).toBe(before + 1);
  });

  test.each([
    [['ps', '-o', 'pid,args']],
    [['ps', '--procfs', '/proc']],
    [['ps', '-p', '1']],
    [['ps', '--json']],
    [['ps', '-f', '--cmdline']],
    [['ps', 'aux', '-f']],
    [['ps', 'aux', 'ax']],
    [['ps', '--help']],
    [['tree']],
    [[]],
  ])('%j: nothing is guessed', (argv) => {
    expect(predictedScanExtras(argv)).toBeUndefined();
  });
});

describe('a prefetched table', () => {
  test('has every entry once, in pid order, the same as a table read now', () => {
    prefetchScan('/proc', Extra.status);
    const before = prefetchHitCount();
    const pre = listProcesses({ credentials: true });
    expect(prefetchHitCount()).toBe(before + 1);
    const now = listProcesses({ credentials: true });
    const pids = pre.map((p) => p.pid);
    expect(new Set(pids).size).toBe(pids.length);
    expect([...pids].sort((a, b) => a - b)).toEqual(pids);
    const mine = new Map(pre.filter((p) => p.readable && p.ppid === process.pid && p.comm === 'sleep').map((p) => [p.pid, p]));
    for (const s of sleepers) {
      const p = mine.get(s.pid!);
      expect(p).toBeDefined();
      const q = now.find((x) => x.pid === s.pid);
      expect(q).toEqual(p);
    }
  });

  test('is thrown away when the first scan asks for other extras', () => {
    prefetchScan('/proc', Extra.status);
    const before = prefetchHitCount();
    const t = listProcesses({ cmdline: true, credentials: true });
    expect(prefetchHitCount()).toBe(before);
    const p = t.find((x) => x.pid === sleepers[0].pid);
    expect(p?.readable && p.cmdline).toEqual(['sleep', '600']);
    // and only a first scan may take it: it is gone now
    listProcesses({ credentials: true });
    expect(prefetchHitCount()).toBe(before);
  });

  test('is thrown away when older than a second', async () => {
    prefetchScan('/proc', Extra.status);
    await new Promise((r) => setTimeout(r, 1100));
    const before = prefetchHitCount();
    expect(listProcesses({ credentials: true }).some((p) => p.pid === sleepers[1].pid)).toBe(true);
    expect(prefetchHitCount()).toBe(before);
  });

  test('a procfs root that cannot be scanned starts nothing, and the scan reports its own error', () => {
    expect(() => prefetchScan('/nonexistent-procfs-root', 0)).not.toThrow();
    expect(() => prefetchScan('/tmp', 0)).not.toThrow(); // not a procfs: refused natively
    expect(() => listProcesses({ procfs: '/tmp' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

test('the real bin, which starts the prefetch, lists this process children', async () => {
  const r = await runBin(['ps', '-e']);
  expect(r.code).toBe(0);
  const lines = r.stdout.split('\n');
  for (const s of sleepers.slice(0, 20)) {
    expect(lines.some((l) => new RegExp(`^\\s*${s.pid}\\s+${process.pid}\\s`).test(l))).toBe(true);
  }
});

test('only the commands that print once and exit run without the optimizing tiers', () => {
  // lib/cli/one-shot.ts: top, supervise, metrics and guard keep running, and keep them
  const { isOneShot } = require('../../lib/cli/one-shot') as typeof import('../../lib/cli/one-shot');
  for (const c of ['ps', 'tree', 'zombies', 'orphans', 'daemons']) expect(isOneShot([c, '-e'])).toBe(true);
  for (const c of ['top', 'supervise', 'metrics', 'guard', 'help', '--version', 'pss']) expect(isOneShot([c])).toBe(false);
  expect(isOneShot([])).toBe(false);
});
