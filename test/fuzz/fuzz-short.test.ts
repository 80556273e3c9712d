// The short run of `npm run fuzz` (scripts/fuzz/index.js): three seeded hostile calls of
// every export of unixproc, unixproc/os and the integration entry points, and of every
// /proc reader on hostile procfs trees, each worker in its own pid namespace. A crash or
// hang of any call fails the suite, and so does a rejection without a Node-style `code`.
// `npm run fuzz -- --runs 200` is the long run (docs/reliability.md).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const SEED = 8;

interface FuzzFinding {
  readonly n: string;
  readonly i: number;
  readonly o: string;
  readonly d: string;
  readonly input?: string;
}
interface FuzzReport {
  readonly sandboxed: boolean;
  readonly stats: Record<string, Record<string, number>>;
  readonly total: Record<string, number>;
  readonly findings: readonly FuzzFinding[];
  readonly untyped: readonly FuzzFinding[];
}

let report: FuzzReport;
let output = '';

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fuzz-short-'));
  const json = path.join(dir, 'report.json');
  try {
    await new Promise<void>((resolve) => {
      execFile(
        process.execPath,
        [path.join(root, 'scripts', 'fuzz', 'index.js'), '--seed', String(SEED), '--runs', '3', '--tree-runs', '2', '--hang-ms', '3000', '--quiet', '--json', json],
        { cwd: root, maxBuffer: 16 * 1024 * 1024 },
        (_err, stdout, stderr) => {
          output = `${stdout}${stderr}`;
          resolve();
        },
      );
    });
    report = JSON.parse(readFileSync(json, 'utf8')) as FuzzReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180000);

const brief = (list: readonly FuzzFinding[]): string[] => list.map((f) => `${f.o} ${f.n} #${f.i}: ${f.d} <- ${f.input ?? ''}`);

test('the short fuzz makes hundreds of calls', () => {
  expect(report.total.calls).toBeGreaterThanOrEqual(250);
});

test('no call crashes or hangs its worker (seed 8)', () => {
  expect({ findings: brief(report.findings), output: report.findings.length ? output : '' }).toEqual({ findings: [], output: '' });
  expect(report.total.crash + report.total.hang + report.total.harness).toBe(0);
});

test('every rejection is an Error of a Node kind with a string code (seed 8)', () => {
  expect(brief(report.untyped)).toEqual([]);
});

test('destructive calls ran inside a pid namespace (root: the suite runs as root)', () => {
  if (process.getuid?.() !== 0) return; // not root: the fuzz skips them and says so
  expect(report.sandboxed).toBe(true);
  expect(Object.entries(report.stats).filter(([, s]) => (s.skipped ?? 0) > 0)).toEqual([]);
});
