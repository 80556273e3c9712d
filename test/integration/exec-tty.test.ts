// A failed exec on a terminal: the process is put back as it was without touching the
// terminal needlessly. The node process runs on a new pseudo-terminal made by python3's
// pty.fork, in the foreground or in a background process group of that session.
import * as path from 'node:path';
import { ptyTest, runScriptOnPty } from '../helpers/pty';

const ROOT = path.resolve(__dirname, '..', '..');
const withPty = ptyTest('the terminal exec tests');

function onTerminal(code: string, background: boolean): { exitCode: number | null; result: Record<string, any> | undefined } {
  return runScriptOnPty(`const exec = require(${JSON.stringify(path.join(ROOT, 'lib/os/exec.ts'))});\n${code}`, { background });
}

const FAILED_EXEC = `
let error;
try { exec.execv('/no/such/program', ['program']); } catch (e) { error = e.code; }
result({ error, isatty: require('node:tty').isatty(0) });
`;

withPty('a failed exec in a background process group of its terminal is not stopped by SIGTTOU', () => {
  const run = onTerminal(FAILED_EXEC, true);
  expect(run.exitCode).toBe(0); // 100 + 22 (SIGTTOU) when it was stopped
  expect(run.result).toEqual({ error: 'ENOENT', isatty: true });
});

// Raw mode (Node's setRawMode), read with stty from the terminal itself before and after
// the failed exec: exec resets the terminal to the mode Node found (uv_tty_reset_mode),
// and the failure must put raw mode back.
const RAW_MODE_RESTORED = `
const { spawnSync } = require('node:child_process');
const stty = () => spawnSync('stty', ['-g'], { stdio: ['inherit', 'pipe', 'pipe'], encoding: 'utf8' }).stdout.trim();
const cooked = stty();
process.stdin.setRawMode(true);
const raw = stty();
let error;
try { exec.execv('/no/such/program', ['program']); } catch (e) { error = e.code; }
const after = stty();
process.stdin.setRawMode(false);
result({ error, changed: raw !== cooked, restored: after === raw });
process.stdin.destroy();
`;

withPty("a failed exec puts back the terminal's raw mode, which the exec attempt had reset", () => {
  const run = onTerminal(RAW_MODE_RESTORED, false);
  expect(run.exitCode).toBe(0);
  expect(run.result).toEqual({ error: 'ENOENT', changed: true, restored: true });
});
