// Provenance and the per-file leak checks on real runs of Jest, Vitest (threads and forks
// pools) and node:test: the fixture projects under test/fixtures/leak-guard/ leak at a
// known file and line, and the report must name that file, line and test, end the leftovers
// and fail that file (its own result); the clean twins report nothing. Then the report's
// text for many processes (summarised by provenance) and for unknown ones, and the reader of
// the provenance files on hostile input.
import { execFileSync, execSync, spawn as cpSpawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { isSameProcess } from '../../lib/proc/identity';
import { listProcesses } from '../../lib/proc';
import { ProvenanceIndex, attachProvenance, installProvenance, provenanceRunDir, removeProvenanceRunDir, uninstallProvenance } from '../../lib/guard/provenance';
import { formatLeakReport, type LeakedProcess, type LeakReport } from '../../lib/guard/report';
import { Leftovers, runNode, type Leftover, type NodeRun } from '../helpers/guard-fixtures';
import { becomeSubreaper, killPid, reapPid } from '../helpers/proc-spawn';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test/fixtures/leak-guard');
const JEST = require.resolve('jest/bin/jest');
const VITEST = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const TS_REGISTER = path.join(ROOT, 'test/helpers/ts-register.js');
const REGISTER = path.join(ROOT, 'lib/integrations/node-test/register.ts');

/** A runner on a fixture, colour off. */
const run = (cwd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<NodeRun> => runNode(cwd, args, { NO_COLOR: '1', ...env });

describe('per-file leak checks with provenance, on real runners', () => {
  let out: string;
  let restore: () => void;
  const leftovers = new Leftovers();

  beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-provenance-test-'));
    // Whatever a run fails to end comes here when its runner exits, to be reaped.
    restore = becomeSubreaper();
  });
  afterAll(async () => {
    await leftovers.endAll();
    // And what the runners' own helpers leave when a runner exits: Vitest's esbuild service
    // processes are re-parented here (this process is a subreaper) and exit a moment later.
    // Every run() child has closed (child_process reaped it), so each child left is an
    // adopted orphan, ours to end and reap: left alone it stays a zombie of this worker for
    // the next test file to find.
    for (let round = 0; round < 5; round++) {
      const adopted = listProcesses().flatMap((p) => (p.readable && p.ppid === process.pid ? [p] : []));
      if (adopted.length === 0) break;
      for (const p of adopted) {
        if (p.state.letter !== 'Z') killPid(p.pid);
        await reapPid(p.pid);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    restore();
    fs.rmSync(out, { recursive: true, force: true });
  });

  function leakedBy(name: string): Leftover {
    return leftovers.add(JSON.parse(fs.readFileSync(path.join(out, name), 'utf8')) as Leftover);
  }

  const env = (): NodeJS.ProcessEnv => ({ FIXTURE_OUT: out, FIXTURE_CACHE_DIR: path.join(out, 'cache'), UNIXPROC_LEAK_SETTLE_MS: '500' });

  test('Jest: the leaking file fails as its own result, naming the file, line and test; the file that stops its child in afterAll passes', async () => {
    const dir = path.join(FIXTURES, 'jest');
    const r = await run(dir, [JEST, '--config', path.join(dir, 'jest.config.js'), '--ci', '--maxWorkers=2'], env());
    const leaked = leakedBy('leak.json');
    expect(r.output).toMatch(/FAIL \.\/leak\.test\.js/);
    expect(r.output).toMatch(/PASS \.\/stops\.test\.js/);
    expect(r.output).toContain('unixproc/jest/environment: leak.test.js: this test file left processes behind.');
    expect(r.output).toContain(`pid ${leaked.pid} S sh -c sleep 300 & wait:`);
    expect(r.output).toContain('started at leak.test.js:14:14 in "the server > starts and is forgotten" (child_process.spawn): sh -c sleep 300 & wait -> sleep 300');
    expect(r.output).toContain('They have been ended.');
    // The tests themselves passed; the file failed; the whole-run check found nothing left.
    expect(r.output).toMatch(/Test Suites:\s+1 failed, 1 passed, 2 total/);
    expect(r.output).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(r.output).not.toContain('the test run left processes behind');
    expect(r.code).toBe(1);
    expect(isSameProcess(leaked)).toBe(false);
  }, 120_000);

  test('Jest 27, the oldest supported (installed into the fixture\'s own node_modules by a script): the same verdict and report', async () => {
    // npm install of jest@27.5.1, once (the script does nothing when it is there).
    const installed = spawnSync('sh', [path.join(FIXTURES, 'install-jest27.sh')], { encoding: 'utf8', timeout: 280_000 });
    expect({ status: installed.status, stderr: installed.stderr }).toEqual({ status: 0, stderr: '' });
    const dir = path.join(FIXTURES, 'jest27');
    const jest27 = path.join(dir, 'node_modules/jest/bin/jest.js');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'node_modules/jest/package.json'), 'utf8')).version).toBe('27.5.1');
    const r = await run(dir, [jest27, '--config', path.join(dir, 'jest.config.js'), '--ci'], env());
    const leaked = leakedBy('leak.json');
    expect(r.output).toMatch(/FAIL \.\.\/jest\/leak\.test\.js/);
    expect(r.output).toMatch(/PASS \.\.\/jest\/stops\.test\.js/);
    expect(r.output).toContain(`pid ${leaked.pid} S sh -c sleep 300 & wait:`);
    expect(r.output).toContain(`started at ${path.join(FIXTURES, 'jest/leak.test.js')}:14:14 in "the server > starts and is forgotten" (child_process.spawn)`);
    expect(r.output).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(r.code).toBe(1);
    expect(isSameProcess(leaked)).toBe(false);
  }, 300_000);

  test('Jest: the clean fixture reports nothing and passes', async () => {
    const dir = path.join(FIXTURES, 'jest-clean');
    const r = await run(dir, [JEST, '--config', path.join(dir, 'jest.config.js'), '--ci'], env());
    expect(r.output).not.toContain('left processes behind');
    expect(r.output).toMatch(/PASS \.\/stops\.test\.js/);
    expect(r.code).toBe(0);
  }, 120_000);

  test.each(['forks', 'threads'])('Vitest (%s pool): the leaking file fails, naming the file, line and test; the clean file passes', async (pool) => {
    const dir = path.join(FIXTURES, 'vitest');
    const r = await run(dir, [VITEST, 'run', '--config', path.join(dir, 'vitest.config.mjs')], { ...env(), FIXTURE_POOL: pool });
    const leaked = leakedBy('vitest-leak.json');
    expect(r.output).toMatch(/FAIL\s+leak\.test\.js/);
    expect(r.output).toMatch(/✓ stops\.test\.js/);
    expect(r.output).toContain('unixproc/vitest: leak.test.js: this test file left processes behind.');
    expect(r.output).toContain(`pid ${leaked.pid} S sh -c sleep 300 & wait:`);
    // The line is the source's; the column is that of Vitest's transformed module.
    expect(r.output).toMatch(/started at leak\.test\.js:9:\d+ in "the server > starts and is forgotten" \(child_process\.spawn\): sh -c sleep 300 & wait -> sleep 300/);
    expect(r.output).toContain('They have been ended.');
    expect(r.output).toMatch(/Test Files\s+1 failed \| 1 passed \(2\)/);
    expect(r.output).not.toContain('the test run left processes behind');
    expect(r.code).toBe(1);
    expect(isSameProcess(leaked)).toBe(false);
  }, 120_000);

  test('Vitest: the clean file alone reports nothing and passes', async () => {
    const dir = path.join(FIXTURES, 'vitest');
    const r = await run(dir, [VITEST, 'run', '--config', path.join(dir, 'vitest.config.mjs')], { ...env(), FIXTURE_POOL: 'threads', FIXTURE_FILES: 'stops.test.js' });
    expect(r.output).not.toContain('left processes behind');
    expect(r.code).toBe(0);
  }, 120_000);

  test('node:test: the leaking file fails naming the line of its exec; the clean file passes', async () => {
    const dir = path.join(FIXTURES, 'node-test');
    const r = await run(dir, ['--require', TS_REGISTER, '--require', REGISTER, '--test', 'leak.test.js', 'clean.test.js'], env());
    const leaked = leakedBy('node-test-leak.json');
    expect(r.output).toContain(`pid ${leaked.pid} S sleep 300: orphan adopted by the guard`);
    // The shell exec() ran is gone (the orphan's parent): the chain says so with '…'.
    expect(r.output).toContain('started at leak.test.js:10:5 (child_process.exec): sh -c sleep 300 </dev/null >/dev/null 2>&1 & echo $! -> … -> sleep 300');
    expect(r.output).toMatch(/not ok \d+ - .*leak\.test\.js/);
    expect(r.output).not.toMatch(/not ok \d+ - .*clean\.test\.js/);
    expect(r.code).toBe(1);
    expect(isSameProcess(leaked)).toBe(false);
  }, 120_000);

  test('node:test: the clean file alone reports nothing', async () => {
    const dir = path.join(FIXTURES, 'node-test');
    const r = await run(dir, ['--require', TS_REGISTER, '--require', REGISTER, '--test', 'clean.test.js'], env());
    expect(r.output).not.toContain('left processes behind');
    expect(r.code).toBe(0);
  }, 120_000);
});

describe('provenance records', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-provenance-unit-'));
  });
  afterEach(() => {
    uninstallProvenance();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a spawnSync child is recorded (one line, written before it runs) with this file as its site, and gets the id in its environment', () => {
    // The sandbox's formatter, as unixproc/jest/environment hands it over.
    installProvenance({ dir, context: () => ({ testFile: __filename, testName: 'records > spawnSync', stackFormatter: Error.prepareStackTrace }) });
    // An explicit env: in Jest's sandbox this module's process.env is a copy, not the one
    // child_process reads (the no-env path is the fixtures' execFileSync, outside the sandbox).
    // One expression, so that the transpiled code has both on one line.
    const [here, r] = [new Error(), spawnSync('sh', ['-c', 'echo $UNIXPROC_PROVENANCE'], { encoding: 'utf8', env: { PATH: process.env.PATH } })];
    uninstallProvenance();
    // The line this runtime's own stack traces give for the call (through the formatter Jest installed).
    const line = Number(/:(\d+):\d+\)?$/m.exec((here.stack as string).split('\n')[1])?.[1]);
    expect(line).toBeGreaterThan(0);
    const [file] = fs.readdirSync(dir);
    expect(file).toMatch(new RegExp(`^${process.pid}\\.[0-9a-f]{8}\\.jsonl$`));
    const lines = recordLines(path.join(dir, file));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ id: r.stdout.trim(), via: 'child_process.spawnSync', testFile: __filename, testName: 'records > spawnSync', command: ['sh', '-c', 'echo $UNIXPROC_PROVENANCE'] });
    expect(lines[0].site).toMatchObject({ file: __filename, line });
    expect(lines[0]).not.toHaveProperty('stack'); // only the chosen frame is formatted and written
    expect(r.pid).toBeGreaterThan(0);
    // process.env is as it was.
    expect(process.env.UNIXPROC_PROVENANCE).toBeUndefined();
  });

  test('the sync forms give the id to the child however they are called: no options, options without env, an env of its own (its inherited keys kept); process.env is never changed', () => {
    installProvenance({ dir, context: () => ({ testFile: __filename, testName: 'records > sync env' }) });
    process.env.UNIXPROC_TEST_SYNC_ENV = 'from-process-env';
    const show = 'echo "$UNIXPROC_PROVENANCE|$UNIXPROC_TEST_SYNC_ENV|$OWN|$INHERITED"';
    let out: string[];
    try {
      out = [
        execSync(show, { shell: '/bin/sh' }).toString(),
        execFileSync('/bin/sh', ['-c', show]).toString(),
        execSync(show).toString(),
        spawnSync('/bin/sh', ['-c', show], { encoding: 'utf8' }).stdout,
        execFileSync('/bin/sh', ['-c', show], { env: Object.assign(Object.create({ INHERITED: 'proto' }) as NodeJS.ProcessEnv, { OWN: 'own' }) }).toString(),
      ].map((o) => o.trim());
    } finally {
      uninstallProvenance();
      delete process.env.UNIXPROC_TEST_SYNC_ENV;
    }
    const ids = recordLines<{ id: string; via: string }>(recordFile(dir)).map((r) => [r.id, r.via]);
    expect(ids.map((r) => r[1])).toEqual(['child_process.execSync', 'child_process.execFileSync', 'child_process.execSync', 'child_process.spawnSync', 'child_process.execFileSync']);
    expect(out).toEqual([
      `${ids[0][0]}|from-process-env||`,
      `${ids[1][0]}|from-process-env||`,
      `${ids[2][0]}|from-process-env||`,
      `${ids[3][0]}|from-process-env||`,
      `${ids[4][0]}||own|proto`,
    ]);
    expect(process.env.UNIXPROC_PROVENANCE).toBeUndefined();
  });

  test("the sync forms' env as Node takes it: a falsy env is this process's (not an error), an own NODE_V8_COVERAGE stays the child's, even empty", () => {
    // In a plain Node process: Jest's sandbox has a process.env of its own, which Node's
    // child_process does not read.
    const register = path.join(__dirname, '..', 'helpers', 'ts-register.js');
    const lib = path.join(__dirname, '..', '..', 'lib', 'guard', 'provenance.ts');
    const script = [
      `require(${JSON.stringify(register)}); const P = require(${JSON.stringify(lib)}); const cp = require('node:child_process');`,
      'const show = (opts) => cp.spawnSync("/bin/sh", ["-c", "echo \\"$UNIXPROC_PROVENANCE|${NODE_V8_COVERAGE-unset}|$MARK\\""], opts).stdout.toString().trim();',
      'const runs = () => [show({ env: false }), show({ env: "" }), show({ env: { PATH: process.env.PATH, NODE_V8_COVERAGE: "" } }), show({ env: { PATH: process.env.PATH } })];',
      'const off = runs();',
      'P.installProvenance({ dir: process.argv[1] });',
      'const on = runs();',
      'P.uninstallProvenance();',
      'console.log(JSON.stringify({ off, on }));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', script, dir], { encoding: 'utf8', env: { ...process.env, NODE_V8_COVERAGE: path.join(dir, 'coverage'), MARK: 'here' } });
    expect(r.stderr).toBe('');
    const { off, on } = JSON.parse(r.stdout) as { off: string[]; on: string[] };
    const cov = path.join(dir, 'coverage');
    expect(off).toEqual([`|${cov}|here`, `|${cov}|here`, '||', `|${cov}|`]);
    // The same environments, plus the id.
    const ids = recordLines<{ id: string }>(recordFile(dir)).map((x) => x.id);
    expect(on).toEqual([`${ids[0]}|${cov}|here`, `${ids[1]}|${cov}|here`, `${ids[2]}||`, `${ids[3]}|${cov}|`]);
  });

  test('a fork() child records into a file and ids of its own (a nonce of its own: a later child with a recycled pid repeats neither)', () => {
    const register = path.join(__dirname, '..', 'helpers', 'ts-register.js');
    const lib = path.join(__dirname, '..', '..', 'lib', 'guard', 'provenance.ts');
    const forkLib = path.join(__dirname, '..', '..', 'lib', 'os', 'fork.ts');
    const script = [
      `require(${JSON.stringify(register)}); const P = require(${JSON.stringify(lib)}); const { fork } = require(${JSON.stringify(forkLib)});`,
      "const cp = require('node:child_process'); const uos = require(" + JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'os', 'index.ts')) + ');',
      'P.installProvenance({ dir: process.argv[1] });',
      "cp.spawnSync('true');",
      'const pid = fork();',
      "if (pid === 0) { cp.spawnSync('true'); uos._exit(0); }",
      'uos.waitpid(pid, 0);',
      "cp.spawnSync('true');",
      'P.uninstallProvenance();',
      'console.log(pid);',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--single-threaded', '-e', script, dir], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const child = Number(r.stdout.trim());
    const files = fs.readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    const byFile = files.map((f) => ({ f, ids: recordLines<{ id: string }>(path.join(dir, f)).map((x) => x.id) }));
    const mine = byFile.find((x) => x.f.startsWith(`${child}.`));
    const parent = byFile.find((x) => !x.f.startsWith(`${child}.`));
    expect(mine?.ids).toHaveLength(1);
    expect(parent?.ids).toHaveLength(3); // spawnSync, the fork() itself, spawnSync
    const nonceOf = (f: string): string => f.split('.')[1];
    expect(nonceOf(mine!.f)).not.toBe(nonceOf(parent!.f));
    expect(mine!.ids[0]).toBe(`${child}.${nonceOf(mine!.f)}.${mine!.ids[0].split('.')[2]}`);
  });

  test('records go into a shared mapping of the file, and a full filesystem (no block for the next part) loses records, never the spawn nor the process (no SIGBUS)', () => {
    // A 64 KiB tmpfs in a mount namespace of its own: the first part (16 KiB) and the next
    // (32 KiB) fit, the one after does not. Each record is one call through the hook point.
    const lib = path.join(__dirname, '..', '..', 'lib', 'guard', 'provenance.ts');
    const hook = path.join(__dirname, '..', '..', 'lib', 'provenance-hook.ts');
    const register = path.join(__dirname, '..', 'helpers', 'ts-register.js');
    const script = [
      `require(${JSON.stringify(register)});`,
      `const P = require(${JSON.stringify(lib)}); const H = require(${JSON.stringify(hook)});`,
      "P.installProvenance({ dir: process.argv[1], context: () => ({ testFile: '/t/full.test.js', testName: 'x'.repeat(200) }) });",
      'let n = 0;',
      "for (let i = 0; i < 2000; i++) if (H.withSpawnProvenance('unixproc.spawn', ['/bin/true'], [], (e) => e, () => 1000000 + i).length === 1) n++;",
      'P.uninstallProvenance();',
      "const files = require('node:fs').readdirSync(process.argv[1]);",
      "console.log(n, new P.ProvenanceIndex(process.argv[1]).size, files.map((f) => require('node:fs').statSync(process.argv[1] + '/' + f).size).join());",
    ].join('\n');
    const mnt = path.join(dir, 'small');
    fs.mkdirSync(mnt);
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=64k unixproc-test "$1" && exec "$2" -e "$3" "$1"`, 'sh', mnt, process.execPath, script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
    const [ran, readable, sizes] = r.stdout.trim().split(' ');
    expect(ran).toBe('2000'); // every "spawn" ran, with its entry
    // One file: the parts mapped (16 + 32 KiB), then lines written while the filesystem had
    // room; the records that found none were lost, and the rest read.
    expect(Number(sizes)).toBeGreaterThanOrEqual(48 * 1024); // then written while there was room
    expect(Number(sizes)).toBeLessThanOrEqual(64 * 1024);
    expect(Number(readable)).toBeGreaterThan(50);
    expect(Number(readable)).toBeLessThan(2000);
    expect(fs.readdirSync(mnt)).toEqual([]); // the tmpfs went with its namespace
  });

  test("the chosen frame goes through the test realm's stack formatter (a source map's position), only that frame", () => {
    const handed: number[] = [];
    // A formatter that maps every line 1000 down, as a source map would move it.
    const stackFormatter = (_e: Error, cs: NodeJS.CallSite[]): string => {
      handed.push(cs.length);
      return `Error\n    at mapped (${cs[0].getFileName()}:${(cs[0].getLineNumber() as number) + 1000}:7)`;
    };
    installProvenance({ dir, context: () => ({ testFile: __filename, testName: 'records > mapped', stackFormatter }) });
    const [here] = [new Error(), spawnSync('true', [], { env: { PATH: process.env.PATH } })];
    uninstallProvenance();
    const line = Number(/:(\d+):\d+\)?$/m.exec((here.stack as string).split('\n')[1])?.[1]);
    const [rec] = recordLines<{ site: unknown }>(recordFile(dir));
    expect(rec.site).toEqual({ file: __filename, line: line + 1000, column: 7, function: 'mapped' });
    expect(handed).toEqual([1]);
  });

  test("unixproc's spawn() and posix_spawn are recorded through the hook point, by identity, with this file's line", async () => {
    const { spawn } = require('../../lib/spawn/index') as typeof import('../../lib/spawn/index');
    const uos = require('../../lib/os/index') as typeof import('../../lib/os/index');
    installProvenance({ dir, context: () => ({ testFile: __filename, testName: 'records > unixproc' }) });
    const child = spawn('sleep', ['300']);
    const pid = uos.posix_spawnp('sleep', ['sleep', '301'], undefined);
    uninstallProvenance();
    try {
      const startOf = (p: number): number => {
        const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      };
      const ix = new ProvenanceIndex(dir);
      const a = ix.attribute(child.pid, startOf(child.pid), process.pid);
      const b = ix.attribute(pid, startOf(pid), process.pid);
      expect(a).toMatchObject({ via: 'unixproc.spawn', match: 'identity', testName: 'records > unixproc', command: ['sleep', '300'], chain: ['sleep 300'] });
      expect(b).toMatchObject({ via: 'unixproc.posix_spawnp', match: 'identity', command: ['sleep', '301'] });
      expect(a?.site?.file).toBe(__filename);
      expect(b?.site?.file).toBe(__filename);
      expect(a?.startTime).toBe(startOf(child.pid));
      // The same pid with a birth window that does not hold its start time (a reused pid) is not it.
      const rec = recordLines<{ pid: number; born: [number, number] }>(recordFile(dir));
      const mine = rec.find((r) => r.pid === child.pid);
      expect(mine?.born[0]).toBeLessThanOrEqual(startOf(child.pid));
      expect(mine?.born[1]).toBeGreaterThanOrEqual(startOf(child.pid));
      expect(mine!.born[1] - mine!.born[0]).toBeLessThan(100);
      const reused = path.join(dir, 'reused');
      fs.mkdirSync(reused);
      fs.writeFileSync(path.join(reused, '1.0000abcd.jsonl'), `${JSON.stringify({ ...mine, id: '1.0000abcd.1', born: [mine!.born[0] - 500, mine!.born[0] - 100] })}\n`);
      expect(new ProvenanceIndex(reused).attribute(child.pid, startOf(child.pid), process.pid)).toBeUndefined();
    } finally {
      child.kill('SIGKILL');
      await child.wait();
      process.kill(pid, 'SIGKILL');
      uos.waitpid(pid, 0);
    }
  });

  test("the run directory: an outer guard's inherited one is reused and left to it; a symlink, a relative path or a missing one is replaced", () => {
    const saved = process.env.UNIXPROC_PROVENANCE_DIR;
    const made: string[] = [];
    try {
      process.env.UNIXPROC_PROVENANCE_DIR = dir;
      const inherited = provenanceRunDir();
      expect(inherited).toEqual({ dir, owned: false });
      removeProvenanceRunDir(inherited);
      expect(fs.existsSync(dir)).toBe(true); // not ours to remove
      const link = path.join(os.tmpdir(), `unixproc-provenance-link-${process.pid}`);
      fs.symlinkSync(dir, link);
      try {
        for (const bad of [link, 'relative/dir', path.join(dir, 'missing')]) {
          process.env.UNIXPROC_PROVENANCE_DIR = bad;
          const run = provenanceRunDir();
          made.push(run.dir);
          expect(run.owned).toBe(true);
          expect(run.dir).not.toBe(bad);
          expect(process.env.UNIXPROC_PROVENANCE_DIR).toBe(run.dir);
          expect(fs.lstatSync(run.dir).isDirectory()).toBe(true);
          removeProvenanceRunDir(run);
          expect(fs.existsSync(run.dir)).toBe(false);
        }
      } finally {
        fs.unlinkSync(link);
      }
    } finally {
      for (const d of made) fs.rmSync(d, { recursive: true, force: true });
      if (saved === undefined) delete process.env.UNIXPROC_PROVENANCE_DIR;
      else process.env.UNIXPROC_PROVENANCE_DIR = saved;
    }
  });

  test('uninstalling leaves in place what wrapped child_process after the recorder (unixproc/os tracks its children so), and records no more', async () => {
    const cpModule = require('node:child_process') as Record<string, unknown> & { ChildProcess: { prototype: { spawn: (...a: unknown[]) => unknown } } };
    const proto = cpModule.ChildProcess.prototype;
    installProvenance({ dir, context: () => ({ testFile: __filename, testName: 'records > layered' }) });
    // Another wrapper on top of the recorder's, as lib/os/foreign-children installs on first use.
    const below = proto.spawn;
    const belowSync = cpModule.spawnSync as (...a: unknown[]) => unknown;
    const tracked: number[] = [];
    const top = function (this: { pid?: number }, ...a: unknown[]): unknown {
      const r = below.apply(this, a);
      tracked.push(this.pid as number);
      return r;
    };
    const topSync = (...a: unknown[]): unknown => belowSync(...a);
    proto.spawn = top;
    cpModule.spawnSync = topSync;
    try {
      uninstallProvenance();
      expect(proto.spawn).toBe(top);
      expect(cpModule.spawnSync).toBe(topSync);
      const child = cpSpawn('true', [], { stdio: 'ignore' });
      await new Promise((r) => child.once('exit', r));
      spawnSync('true');
      expect(tracked).toEqual([child.pid]);
      expect(fs.readdirSync(dir)).toEqual([]); // the recorder below is switched off
    } finally {
      proto.spawn = below;
      cpModule.spawnSync = belowSync;
    }
  });

  test('two recorders of one process (the main thread and a worker thread) never share a record id: a file and a nonce each', async () => {
    installProvenance({ dir, context: () => ({ testFile: __filename, testName: 'records > threads' }) });
    spawnSync('true', [], { env: { PATH: process.env.PATH } });
    uninstallProvenance();
    const register = path.join(__dirname, '..', 'helpers', 'ts-register.js');
    const lib = path.join(__dirname, '..', '..', 'lib', 'guard', 'provenance.ts');
    const code = `require(${JSON.stringify(register)}); const P = require(${JSON.stringify(lib)}); P.installProvenance({ dir: ${JSON.stringify(dir)} }); require('node:child_process').spawnSync('true'); P.uninstallProvenance();`;
    await new Promise<void>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once('error', reject);
      w.once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`worker exited ${c}`))));
    });
    const files = fs.readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    const ids = files.map((f) => recordLines<{ id: string }>(path.join(dir, f))[0].id);
    for (const id of ids) expect(id).toMatch(new RegExp(`^${process.pid}\\.[0-9a-f]{8}\\.1$`));
    expect(new Set(ids).size).toBe(2);
    expect(new ProvenanceIndex(dir).size).toBe(2);
  });

  test('a recorder that fails (here: the runner state throws) never fails the spawn: it runs unrecorded', async () => {
    installProvenance({
      dir,
      context: () => ({
        testFile: __filename,
        testName: 'records > failing',
        get stackFormatter(): undefined {
          throw new Error('the runner state is gone');
        },
      }),
    });
    try {
      const child = cpSpawn('sh', ['-c', 'exit 3'], { stdio: 'ignore' });
      await expect(new Promise((r) => child.once('exit', r))).resolves.toBe(3);
      expect(spawnSync('sh', ['-c', 'exit 4']).status).toBe(4);
    } finally {
      uninstallProvenance();
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('hostile lines are skipped: garbage, cut JSON, wrong types, huge lines; the good record still reads', () => {
    const good = { id: '7.0000abcd.1', via: 'child_process.spawn', testFile: '/t/a.test.js', testName: 'a', command: ['x'], stack: ['at /t/a.test.js:3:4'] };
    fs.writeFileSync(
      path.join(dir, '7.0000abcd.jsonl'),
      ['garbage', '{"id":', JSON.stringify({ id: 5, stack: [] }), JSON.stringify({ id: '7.0000abcd.2', stack: 'no' }), `{"id":"7.0000abcd.3","stack":["${'a'.repeat(70000)}"]}`, JSON.stringify(good), JSON.stringify({ id: '7.0000abcd.1', pid: -3 }), '\0\0\0'].join('\n'),
    );
    fs.mkdirSync(path.join(dir, '8.0000abcd.jsonl')); // a directory with a record's name
    fs.symlinkSync('/etc/passwd', path.join(dir, '9.0000abcd.jsonl'));
    fs.writeFileSync(path.join(dir, '10.jsonl'), `${JSON.stringify(good)}\n`.replace('7.0000abcd.1', '10.1')); // not a record file's name
    const ix = new ProvenanceIndex(dir);
    expect(ix.size).toBe(2); // .1 and .2 of 7.0000abcd (stack not an array: kept, with no frames)
    expect(new ProvenanceIndex(path.join(dir, 'missing')).size).toBe(0);
  });

  test('a process nothing was recorded for is unknown (null), never guessed', () => {
    const child = cpSpawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      fs.writeFileSync(path.join(dir, '1.0000abcd.jsonl'), `${JSON.stringify({ id: '1.0000abcd.1', via: 'x', command: ['y'], stack: [] })}\n`);
      const report = attachProvenance(reportOf([leakedOf(child.pid as number, startTime)]), dir);
      expect(report.leaked[0].provenance).toBeNull();
      expect(formatLeakReport(report)).toContain('started by: unknown (no record of it or of its ancestors)');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/** The one record file in `dir`. */
/** A record file's lines, parsed (a mapped file's unused tail is NUL bytes, which are not lines). */
function recordLines<T = Record<string, unknown>>(file: string): T[] {
  const text = fs.readFileSync(file, 'utf8');
  expect(text.replace(/\0+$/, '')).not.toContain('\0');
  return text
    .split(/[\n\0]+/)
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

function recordFile(dir: string): string {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  expect(files).toHaveLength(1);
  return path.join(dir, files[0]);
}

function leakedOf(pid: number, startTime: number, provenance?: LeakedProcess['provenance']): LeakedProcess {
  return {
    pid,
    startTime,
    ppid: 1,
    state: { letter: 'S', name: 'sleeping', meaning: 'interruptible sleep' } as LeakedProcess['state'],
    comm: 'sleep',
    cmdline: ['sleep', '300'],
    relation: 'adopted',
    parent: undefined,
    ...(provenance === undefined ? {} : { provenance }),
  };
}

function reportOf(leaked: LeakedProcess[]): LeakReport {
  return { ok: leaked.length === 0, guardPid: process.pid, leaked, zombies: [], reaped: [] };
}

describe('the report with provenance', () => {
  const site = (file: string, line: number): LeakedProcess['provenance'] => ({
    id: '1.1',
    via: 'child_process.spawn',
    testFile: path.join(process.cwd(), file),
    testName: 'load > many',
    site: { file: path.join(process.cwd(), file), line, column: 5, function: undefined },
    command: ['node', 'server.js'],
    pid: undefined,
    startTime: undefined,
    chain: ['npm start', 'sh -c node server.js', 'node server.js'],
    match: 'ancestor',
  });

  test('one process: its line, test and chain under it', () => {
    const text = formatLeakReport(reportOf([leakedOf(10, 1, site('test/api.test.ts', 42))]));
    expect(text).toBe(
      'leak: 1 process still running left behind:\n' +
        '  pid 10 S sleep 300: orphan adopted by the guard (its parent exited without it)\n' +
        '    started at test/api.test.ts:42:5 in "load > many" (child_process.spawn): npm start -> sh -c node server.js -> node server.js\n',
    );
  });

  test('many processes are summarised by provenance, largest group first, a few examples each', () => {
    const many = Array.from({ length: 312 }, (_, i) => leakedOf(1000 + i, 1, site('test/load.test.ts', 18)));
    const text = formatLeakReport(reportOf([...many, leakedOf(5, 1, null)]));
    const lines = text.split('\n');
    expect(lines[0]).toBe('leak: 313 processes still running left behind:');
    expect(lines[1]).toBe('  312 processes from test/load.test.ts:18:5 in "load > many", e.g.:');
    expect(text).toContain('  1 process from an unknown origin, e.g.:');
    expect(lines.length).toBeLessThan(15);
  });

  test('a provenance that is not one is refused with the field named', () => {
    const bad = { ...leakedOf(10, 1), provenance: { via: 3, chain: [] } } as unknown as LeakedProcess;
    expect(() => formatLeakReport(reportOf([bad]))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('report.leaked[0].provenance.via') }));
  });
});
