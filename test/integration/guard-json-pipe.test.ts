// `unixproc guard --json` can be piped (issue 14: the report used to follow the command's own
// stdout, so `guard --json -- cmd | jq` read a mix), and `--json-file` writes the report to a
// file while the command's stdout stays on stdout. Real pipes, real shells, real leftovers.
import { spawn as cpSpawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isSameProcess } from '../../lib/proc/identity';
import { BACKGROUND_SLEEP, runGuardCli } from '../helpers/guard-fixtures';

const ROOT = path.join(__dirname, '..', '..');
const GUARD = `${JSON.stringify(process.execPath)} -r ./test/helpers/ts-register.js lib/cli/main.ts guard`;
// Reads all of stdin, parses it as one JSON document and prints what the test checks.
const PARSE_STDIN = `let s = ''; process.stdin.setEncoding('utf8').on('data', (d) => (s += d)).on('end', () => {
  const j = JSON.parse(s);
  console.log(JSON.stringify({ lines: s.split('\\n').length - 1, command: j.command, status: j.status, ok: j.report.ok,
    leaked: j.report.leaked.map((p) => ({ pid: p.pid, startTime: p.startTime, cmdline: p.cmdline })) }));
});`;

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-guard-json-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs a bash pipeline (pipefail: the guard's own exit status counts); child_process reaps it. */
function pipeline(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = cpSpawn('bash', ['-c', `set -o pipefail; ${script}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

describe('unixproc guard --json through a real pipe', () => {
  test('a command that prints to stdout: the reader parses the report alone; the command\'s output is on stderr', async () => {
    const r = await pipeline(
      `${GUARD} --json -- sh -c 'echo hello from the command; echo second line' | ${JSON.stringify(process.execPath)} -e ${shellQuote(PARSE_STDIN)}`,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      lines: 1,
      command: ['sh', '-c', 'echo hello from the command; echo second line'],
      status: { kind: 'exited', code: 0 },
      ok: true,
      leaked: [],
    });
    expect(r.stderr).toBe('hello from the command\nsecond line\n');
  });

  test('a command that prints and leaks: the piped report names the leftover, which is gone; the exit status is the leak\'s', async () => {
    const r = await pipeline(
      `${GUARD} --json -- ${BACKGROUND_SLEEP.map(shellQuote).join(' ')} | ${JSON.stringify(process.execPath)} -e ${shellQuote(PARSE_STDIN)}`,
    );
    // pipefail: 1 is the guard's (a leak), the reader exited 0.
    expect(r.code).toBe(1);
    const parsed = JSON.parse(r.stdout) as { lines: number; ok: boolean; leaked: { pid: number; startTime: number; cmdline: string[] }[] };
    // BACKGROUND_SLEEP prints the sleep's pid on its stdout: here, on the guard's stderr.
    const sleepPid = Number(r.stderr.split('\n')[0]);
    expect(parsed.lines).toBe(1);
    expect(parsed.ok).toBe(false);
    expect(parsed.leaked).toEqual([{ pid: sleepPid, startTime: expect.any(Number), cmdline: ['sleep', '300'] }]);
    expect(isSameProcess({ pid: sleepPid, startTime: parsed.leaked[0].startTime })).toBe(false);
  });
});

describe('unixproc guard --json-file', () => {
  test('writes the report to the file; the command\'s stdout stays on stdout and the text report on stderr', async () => {
    const file = path.join(work, 'leaks.json');
    const run = await runGuardCli(['--json-file', file, '--', ...BACKGROUND_SLEEP]);
    const sleepPid = Number(run.stdout.split('\n')[0]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${sleepPid}\n`);
    expect(run.stderr).toContain(`pid ${sleepPid} S sleep 300: orphan adopted by the guard`);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.endsWith('\n') && text.indexOf('\n') === text.length - 1).toBe(true);
    const json = JSON.parse(text) as { status: unknown; report: { ok: boolean; leaked: { pid: number }[] }; cleanup: { remaining: { ok: boolean } } };
    expect(json.status).toEqual({ kind: 'exited', code: 0 });
    expect(json.report.ok).toBe(false);
    expect(json.report.leaked.map((p) => p.pid)).toEqual([sleepPid]);
    expect(json.cleanup.remaining.ok).toBe(true);
  });

  test('replaces what the file held', async () => {
    const file = path.join(work, 'old.json');
    fs.writeFileSync(file, 'x'.repeat(100000));
    const run = await runGuardCli(['--json-file', file, '--', 'true']);
    expect(run.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ command: ['true'], report: { ok: true }, cleanup: null });
  });

  test('a path that cannot be opened is one line and exit 1, before the command runs', async () => {
    const marker = path.join(work, 'ran');
    const run = await runGuardCli(['--json-file', path.join(work, 'no-such-dir', 'r.json'), '--', 'touch', marker]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^unixproc guard: ENOENT: no such file or directory, open '.*no-such-dir\/r\.json'\n$/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('a FIFO that nobody reads is an error (ENXIO), not a guard that hangs', async () => {
    const fifo = path.join(work, 'fifo');
    const mk = await pipeline(`mkfifo ${shellQuote(fifo)}`);
    expect(mk.code).toBe(0);
    const run = await runGuardCli(['--json-file', fifo, '--', 'true'], undefined, 20000);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^unixproc guard: ENXIO: .*\n$/);
  });

  test('--json with --json-file, or an empty path, is a usage error', async () => {
    const both = await runGuardCli(['--json', '--json-file', path.join(work, 'x.json'), '--', 'true']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--json and --json-file <path> are two places for the one report: choose one');
    expect(fs.existsSync(path.join(work, 'x.json'))).toBe(false);
    const empty = await runGuardCli(['--json-file=', '--', 'true']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--json-file needs a path (it is empty)');
  });
});
