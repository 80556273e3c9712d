// What `unixproc ps` loads (issue 14, item 4: its start-up is the bulk of its time): only the
// dispatcher, ps and the /proc readers it uses, and the main addon, loaded directly from
// build/Release. Not the supervisor, the guard, spawn, containment, the os layer, the fork
// addon, lib/proc's index (which loads every reader), node-gyp-build, child_process or
// process.report. Checked on a real run of the bin, so that the lazy loading cannot regress
// silently; the time itself is measured in bench/cli-startup.js, not here.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'helpers', 'ts-register.js');
const HOOK = path.join(ROOT, 'test', 'fixtures', 'cli', 'loaded-modules.js');

interface Loaded {
  readonly code: number | null;
  readonly stdout: string;
  readonly files: readonly string[];
  readonly builtins: readonly string[];
}

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-startup-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs `unixproc <argv>` (lib/cli/main.ts) in a fresh node and returns what it loaded. */
function loadedBy(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Loaded {
  const out = path.join(work, `loaded-${argv.join('-')}-${Object.keys(env).join('-')}.json`);
  const base = { ...process.env };
  for (const k of ['PREBUILDS_ONLY', 'LIBC', 'ARM_VERSION', 'npm_config_arch', 'npm_config_platform', 'UNIXPROC_PREBUILD']) delete base[k];
  const r = spawnSync(process.execPath, ['-r', REGISTER, '-r', HOOK, path.join(ROOT, 'lib', 'cli', 'main.ts'), ...argv], {
    cwd: ROOT,
    env: { ...base, ...env, UNIXPROC_TEST_LOADED: out },
    encoding: 'utf8',
    timeout: 60000,
  });
  const { files, builtins } = JSON.parse(fs.readFileSync(out, 'utf8')) as { files: string[]; builtins: string[] };
  return { code: r.status, stdout: r.stdout, files, builtins };
}

// Modules `unixproc ps` has no use for, by path under the repository.
const NOT_FOR_PS: readonly RegExp[] = [
  /^lib\/cli\/(guard|supervise|zombies|orphans|daemons)\.ts$/,
  /^lib\/(guard|supervise|spawn|contain|os|init|integrations|metrics|resource)\//,
  /^lib\/index\.ts$/,
  /^lib\/proc\/(index|orphans|daemons|zombies|groups|identity|process-handle|pidfd|fds|threads|subreapers)\.ts$/,
  /^lib\/(lineage|own-children)\.ts$/,
  /^fork-addon\//,
  /node-gyp-build/,
  /(^|\/)package\.json$/,
];

describe('unixproc ps loads only what it uses', () => {
  let loaded: Loaded;
  beforeAll(() => {
    loaded = loadedBy(['ps']);
  });

  test('it runs and prints the table', () => {
    expect(loaded.code).toBe(0);
    expect(loaded.stdout.split('\n')[0]).toMatch(/^\s*PID\s+PPID\s+PGID\s+SID\s+TTY\s+STAT\s+TIME\s+COMMAND$/);
  });

  test('it loads ps, the process table and the main addon from build/Release', () => {
    expect(loaded.files).toEqual(expect.arrayContaining(['lib/cli/main.ts', 'lib/cli/ps.ts', 'lib/proc/table.ts', 'lib/native.ts']));
    expect(loaded.files.filter((f) => f.endsWith('.node'))).toEqual(['build/Release/unixproc.node']);
  });

  test('it loads none of the supervisor, the guard, spawn, containment, the os layer, the fork addon, lib/proc/index or node-gyp-build', () => {
    expect(loaded.files.filter((f) => NOT_FOR_PS.some((re) => re.test(f)))).toEqual([]);
  });

  test('it loads neither child_process nor worker_threads, and builds no process.report', () => {
    const unwanted = ['NativeModule child_process', 'NativeModule worker_threads', 'Internal Binding report', 'Internal Binding worker'];
    expect(loaded.builtins.filter((b) => unwanted.includes(b))).toEqual([]);
  });
});

describe('the addon loader', () => {
  test("an environment variable that changes node-gyp-build's choice (PREBUILDS_ONLY) hands the choice back to it", () => {
    const loaded = loadedBy(['ps'], { PREBUILDS_ONLY: '1' });
    expect(loaded.files.some((f) => /node-gyp-build\/node-gyp-build\.js$/.test(f))).toBe(true);
    // node-gyp-build then skips build/: a prebuild loads, or none is there and ps fails in one line.
    expect(loaded.files).not.toContain('build/Release/unixproc.node');
  });

  test('`unixproc guard` (a command that spawns) loads the guard but not the supervisor', () => {
    const loaded = loadedBy(['guard', '--', 'true']);
    expect(loaded.code).toBe(0);
    expect(loaded.files).toContain('lib/cli/guard.ts');
    expect(loaded.files.filter((f) => /^lib\/(supervise\/|cli\/supervise\.ts)/.test(f))).toEqual([]);
  });
});
