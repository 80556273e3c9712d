// `unixproc guard -- cmd` names the line that started each leftover: every Node process of
// the command preloads the recorder (NODE_OPTIONS --require) into the guard's run
// directory, and the report (text and --json) carries file:line, the API and the chain.
// Real processes: a node script that leaks a `sleep` from a known line, one that leaks
// through a shell, a non-node command (unknown), and --no-provenance.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { jsonOf, runGuardCli } from '../helpers/guard-fixtures';

const ROOT = path.join(__dirname, '..', '..');
// The CLI runs from lib/ (through ts-register): its children load the .ts preload with the
// same loader, which NODE_OPTIONS gives them before the guard's own --require.
const TS_LOADER = `--require ${JSON.stringify(path.join(ROOT, 'test', 'helpers', 'ts-register.js'))}`;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-guard-provenance-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a script; returns its path and the 1-based line holding `marker`. */
function script(name: string, text: string, marker: string): { file: string; line: number } {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return { file, line: text.split('\n').findIndex((l) => l.includes(marker)) + 1 };
}

const envWith = (nodeOptions: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: nodeOptions };
  delete env.UNIXPROC_PROVENANCE_DIR; // this jest run's own, which the guard must not reuse here
  return env;
};

interface Entry {
  pid: number;
  cmdline: string[];
  provenance: null | { via: string; site: { file: string; line: number; column: number } | undefined; chain: string[]; match: string; testFile?: string };
}

describe('unixproc guard -- node ...: provenance', () => {
  test('a sleep leaked by a node script is reported with the script, its line and the API, in text and in --json', async () => {
    const leak = script(
      'leak.js',
      [
        "const { spawn } = require('node:child_process');",
        'function startHelper() {',
        "  spawn('sleep', ['300'], { stdio: 'ignore' }).unref(); // LEAK",
        '}',
        'startHelper();',
        "require('node:fs').writeFileSync(process.argv[2], String(process.env.UNIXPROC_PROVENANCE_DIR));",
        '',
      ].join('\n'),
      '// LEAK',
    );
    const seenDir = path.join(dir, 'seen-dir');
    const text = await runGuardCli(['--', process.execPath, leak.file, seenDir], undefined, undefined, envWith(TS_LOADER));
    expect(text.code).toBe(1);
    expect(text.stderr).toContain(`started at ${leak.file}:${leak.line}:3 (child_process.spawn): sleep 300`);
    // The run directory the script saw is the guard's, removed when the guard is done.
    const runDir = fs.readFileSync(seenDir, 'utf8');
    expect(runDir).toMatch(/unixproc-provenance-/);
    expect(fs.existsSync(runDir)).toBe(false);

    const json = await runGuardCli(['--json', '--', process.execPath, leak.file, seenDir], undefined, undefined, envWith(TS_LOADER));
    const entry = (jsonOf(json).report.leaked as unknown as Entry[]).find((p) => p.cmdline.join(' ') === 'sleep 300');
    expect(entry?.provenance).toMatchObject({ via: 'child_process.spawn', site: { file: leak.file, line: leak.line, column: 3 }, match: 'identity', chain: ['sleep 300'] });
  });

  test('a process SIGKILLed right after it spawned (a worker killed mid-run) loses nothing: the record was written at the spawn', async () => {
    const leak = script(
      'killed.js',
      ["const { spawn } = require('node:child_process');", "spawn('sleep', ['304'], { stdio: 'ignore' }).unref(); // KILLED", "process.kill(process.pid, 'SIGKILL');", ''].join('\n'),
      '// KILLED',
    );
    const json = await runGuardCli(['--json', '--', process.execPath, leak.file], undefined, undefined, envWith(TS_LOADER));
    expect(jsonOf(json).status).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
    const entry = (jsonOf(json).report.leaked as unknown as Entry[]).find((p) => p.cmdline.join(' ') === 'sleep 304');
    expect(entry?.provenance).toMatchObject({ via: 'child_process.spawn', site: { file: leak.file, line: leak.line }, match: 'identity' });
  });

  test('what a recorded shell starts inherits its record: the line of the spawn, then the chain through what is gone', async () => {
    const leak = script(
      'via-shell.js',
      ["const { execFileSync } = require('node:child_process');", "execFileSync('sh', ['-c', 'sleep 301 >/dev/null 2>&1 &']); // SHELL", ''].join('\n'),
      '// SHELL',
    );
    const json = await runGuardCli(['--json', '--', process.execPath, leak.file], undefined, undefined, envWith(TS_LOADER));
    const entry = (jsonOf(json).report.leaked as unknown as Entry[]).find((p) => p.cmdline.join(' ') === 'sleep 301');
    expect(entry?.provenance).toMatchObject({ via: 'child_process.execFileSync', site: { file: leak.file, line: leak.line }, match: 'environment', chain: ['sh -c sleep 301 >/dev/null 2>&1 &', '…', 'sleep 301'] });
  });

  test("the user's NODE_OPTIONS stay in effect beside the preload", async () => {
    const probe = script('probe.js', "require('node:fs').writeFileSync(process.argv[2], `${process.env.NODE_OPTIONS}\\n${require('node:v8').getHeapStatistics().heap_size_limit}`); // PROBE\n", '// PROBE');
    const out = path.join(dir, 'probe-out');
    const run = await runGuardCli(['--', process.execPath, probe.file, out], undefined, undefined, envWith(`${TS_LOADER} --max-old-space-size=123`));
    expect(run.code).toBe(0);
    const [options, limit] = fs.readFileSync(out, 'utf8').split('\n');
    expect(options).toMatch(/^--require ".*ts-register\.js" --max-old-space-size=123 --require ".*preload\.ts"$/);
    expect(Number(limit)).toBeLessThan(200 * 1024 * 1024);
  });

  test('a leftover of a command that is not node is reported with no origin (unknown, never guessed)', async () => {
    const run = await runGuardCli(['--json', '--', 'sh', '-c', 'sleep 302 >/dev/null 2>&1 &'], undefined, undefined, envWith(TS_LOADER));
    const entry = (jsonOf(run).report.leaked as unknown as Entry[]).find((p) => p.cmdline.join(' ') === 'sleep 302');
    expect(entry).toBeDefined();
    expect(entry?.provenance).toBeNull();
  });

  test('--no-provenance: no preload, no provenance in the report', async () => {
    const leak = script('leak2.js', "require('node:child_process').spawn('sleep', ['303'], { stdio: 'ignore' }).unref(); // LEAK2\n", '// LEAK2');
    const run = await runGuardCli(['--json', '--no-provenance', '--', process.execPath, leak.file], undefined, undefined, envWith(TS_LOADER));
    const entry = (jsonOf(run).report.leaked as unknown as Entry[]).find((p) => p.cmdline.join(' ') === 'sleep 303');
    expect(entry).toBeDefined();
    expect(entry).not.toHaveProperty('provenance');
  });
});
