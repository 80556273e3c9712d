// `npm run bench -- --json` (bench/index.js --json): one JSON document on stdout with every
// bench's figures, the human output on stderr. Runs the fork-cost bench with tiny counts
// (no timing is asserted: only the document's shape, and that every ratio is a finite
// number > 0 with p25 <= ratio <= p75), then a run whose bench exits non-zero, which must
// show as failed in a document that still parses.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const INDEX = path.join(ROOT, 'bench', 'index.js');

function runIndex(env: Record<string, string>): { status: number | null; doc: any; stderr: string } {
  const r = spawnSync(process.execPath, [INDEX, '--json', '--no-build', 'fork-cost'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 90000,
    env: { ...process.env, FORK_BENCH_RSS_MB: '40', FORK_BENCH_ROUNDS: '3', FORK_BENCH_BLOCKS: '3', ...env },
  });
  return { status: r.status, doc: JSON.parse(r.stdout), stderr: r.stderr };
}

test('fork-cost in JSON mode: one document, figures with finite ratios > 0 and their spread', () => {
  const { status, doc, stderr } = runIndex({});
  expect(status).toBe(0);
  expect(stderr).toMatch(/=== fork-cost\.js/);
  expect(doc).toEqual(
    expect.objectContaining({ ok: true, node: process.version, cores: expect.any(Number), date: expect.any(String) }),
  );
  expect(Number.isNaN(Date.parse(doc.date))).toBe(false);
  expect(doc.loadavg.before).toHaveLength(3);
  expect(doc.benches.map((b: any) => b.name)).toEqual(['fork-cost']);
  const [bench] = doc.benches;
  expect(bench.ok).toBe(true);
  const withRatio = bench.figures.filter((f: any) => f.ratio !== undefined);
  // call / the fork(2) inside it always; against CPython when python3 is there (it is in CI).
  expect(withRatio.length).toBeGreaterThanOrEqual(1);
  expect(withRatio.map((f: any) => f.anchor)).toContain('fork(2) inside the call');
  for (const f of withRatio) {
    expect(typeof f.name).toBe('string');
    expect(f.unit).toBe('ms');
    expect(typeof f.anchor).toBe('string');
    for (const k of ['value', 'ratio', 'p25', 'p75']) {
      expect(Number.isFinite(f[k])).toBe(true);
      expect(f[k]).toBeGreaterThan(0);
    }
    expect(f.p25).toBeLessThanOrEqual(f.ratio);
    expect(f.ratio).toBeLessThanOrEqual(f.p75);
    expect(f.blocks).toBe(3);
    if (f.target !== undefined) {
      expect(f.target).toMatch(/^(<=|>=) [\d.]+x$/);
      expect(typeof f.met).toBe('boolean');
    }
  }
});

test('a bench that exits non-zero shows as failed; the document still parses', () => {
  // No blocks: the bench has no figure to summarise and exits 1.
  const { status, doc } = runIndex({ FORK_BENCH_BLOCKS: '0' });
  expect(status).toBe(1);
  expect(doc.ok).toBe(false);
  expect(doc.benches).toEqual([expect.objectContaining({ name: 'fork-cost', ok: false, exit: 1, figures: expect.any(Array) })]);
});
