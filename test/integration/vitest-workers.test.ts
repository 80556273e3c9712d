// The whole-run Vitest guard's idea of Vitest's own processes, on real processes: a forks-pool
// worker that is still starting (tinypool's entry script, running its CPU-count pipeline) and
// its children are not leaks, whether the worker is still the guard's child or was re-parented
// to it; a worker that has named itself `node (vitest N)` is not a leak either, but what it
// started is (tests run there); and the same script anywhere else is an ordinary leak.
// Regression: CI once failed a clean Vitest run on such a starting worker and its
// `cat /proc/cpuinfo | grep "physical id" | ...` pipeline, both reported as left behind.
import { spawn as cpSpawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLeakGuard, type LeakGuard } from '../../lib/guard/index';
import { isVitestWorker } from '../../lib/integrations/vitest/workers';
import { stateLetter, waitFor } from '../helpers/proc-spawn';

// Starts a `sleep` (as tinypool's physicalCpuCount starts its pipeline), prints both pids,
// and on SIGTERM ends the sleep and exits once it is reaped.
const WORKER = `
if (process.argv[2]) process.title = process.argv[2];
const { spawn } = require('node:child_process');
const child = spawn('sleep', ['60'], { stdio: 'ignore' });
process.on('SIGTERM', () => { child.on('exit', () => process.exit(0)); child.kill(); });
process.stdout.write(process.pid + ' ' + child.pid + '\\n');
setInterval(() => {}, 1000);
`;

let dir: string;
let guard: LeakGuard | undefined;
const started: number[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-vitest-workers-'));
  for (const sub of ['node_modules/tinypool/dist/entry', 'elsewhere/dist/entry']) {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.writeFileSync(path.join(dir, sub, 'process.js'), WORKER);
  }
});

afterEach(async () => {
  for (const pid of started.splice(0)) {
    if (stateLetter(pid) !== undefined && stateLetter(pid) !== 'Z') process.kill(pid, 'SIGTERM');
    await waitFor(`worker ${pid} to end`, () => stateLetter(pid) === undefined || stateLetter(pid) === 'Z');
  }
  if (guard !== undefined) {
    await guard.cleanup({ killGracePeriod: 0 }); // reaps the re-parented workers' zombies
    guard.dispose();
    guard = undefined;
  }
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Starts the fake worker as our child; resolves with [worker, sleep]. */
async function childWorker(script: string, title = ''): Promise<number[]> {
  const child = cpSpawn(process.execPath, [script, ...(title ? [title] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => child.stdout.once('data', (b: Buffer) => resolve(b.toString())));
  const pids = line.trim().split(' ').map(Number);
  started.push(pids[0]);
  return pids;
}

/** Starts the fake worker through a shell that exits: it is re-parented to the guard. */
async function orphanWorker(script: string): Promise<number[]> {
  const sh = cpSpawn('sh', ['-c', `"${process.execPath}" "${script}" &`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => sh.stdout.once('data', (b: Buffer) => resolve(b.toString())));
  sh.stdout.destroy();
  await new Promise((resolve) => (sh.exitCode !== null ? resolve(null) : sh.once('exit', resolve)));
  const pids = line.trim().split(' ').map(Number);
  started.push(pids[0]);
  return pids;
}

const leakedPids = (g: LeakGuard): number[] => g.check().leaked.map((p) => p.pid).sort((a, b) => a - b);
const tinypool = (): string => path.join(dir, 'node_modules/tinypool/dist/entry/process.js');

test('a starting forks-pool worker (our child) and its pipeline are Vitest\'s own', async () => {
  guard = startLeakGuard({ ignore: (p) => isVitestWorker(p) });
  const [worker, sleep] = await childWorker(tinypool());
  const report = guard.check();
  expect(report.leaked.map((p) => p.pid)).not.toContain(worker);
  expect(report.leaked.map((p) => p.pid)).not.toContain(sleep);
  expect(report.ok).toBe(true);
});

test('a starting worker re-parented to the guard, and its pipeline, are Vitest\'s own', async () => {
  // A guard without the predicate, started at the same time: there both are leaks (the
  // test can fail).
  const plain = startLeakGuard();
  guard = startLeakGuard({ ignore: (p) => isVitestWorker(p) });
  try {
    const [worker, sleep] = await orphanWorker(tinypool());
    await waitFor('the worker to be re-parented', () => fs.readFileSync(`/proc/${worker}/stat`, 'latin1').split(') ')[1].split(' ')[1] === String(process.pid));
    expect(guard.check()).toEqual(expect.objectContaining({ ok: true, leaked: [] }));
    expect(leakedPids(plain)).toEqual([worker, sleep].sort((a, b) => a - b));
  } finally {
    plain.dispose();
  }
});

test('a worker that has named itself is Vitest\'s, but what it started is examined', async () => {
  guard = startLeakGuard({ ignore: (p) => isVitestWorker(p) });
  const [worker, sleep] = await childWorker(tinypool(), 'node (vitest 3)');
  await waitFor('the title', () => fs.readFileSync(`/proc/${worker}/cmdline`, 'latin1').startsWith('node (vitest 3)'));
  expect(leakedPids(guard)).toEqual([sleep]);
});

test('the same script outside tinypool is an ordinary leak', async () => {
  guard = startLeakGuard({ ignore: (p) => isVitestWorker(p) });
  const [worker, sleep] = await childWorker(path.join(dir, 'elsewhere/dist/entry/process.js'));
  expect(leakedPids(guard)).toEqual([worker, sleep].sort((a, b) => a - b));
});
