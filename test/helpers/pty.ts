// Runs a node script on a new pseudo-terminal made by python3's pty.fork (the script's
// process is the session leader of that terminal), for the tests that need a real
// terminal: tcgetpgrp/tcsetpgrp, exec's terminal restore, forkpty's stdio.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Whether python3 with its pty module is here; the terminal tests are skipped otherwise. */
export const havePty = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;

/** `test` where a pty can be made, else `test.skip` (with a warning naming `what`). */
export function ptyTest(what: string): jest.It {
  if (!havePty) console.warn(`python3 with the pty module not found: ${what} skipped`);
  return havePty ? test : test.skip;
}

// argv: node, background (0/1), outer-capture path ('' for none), then node's arguments.
// With background=1 the session leader forks node into a background process group of the
// terminal and waits for it with WUNTRACED: a stop is reported as exit 100 + the signal
// (node is then killed and reaped by pid). The terminal's output is drained (and written to
// the outer-capture path when given); exits with node's exit code.
const PTY_PARENT = `
import os, pty, signal, sys
node, bg, outer = sys.argv[1:4]
argv = [node] + sys.argv[4:]
pid, master = pty.fork()
if pid == 0:
    if bg == '1':
        g = os.fork()
        if g == 0:
            os.setpgid(0, 0)
            os.execv(node, argv)
        _, st = os.waitpid(g, os.WUNTRACED)
        if os.WIFSTOPPED(st):
            os.kill(g, signal.SIGKILL)
            os.waitpid(g, 0)
            os._exit(100 + os.WSTOPSIG(st))
        os._exit(os.waitstatus_to_exitcode(st))
    os.execv(node, argv)
out = b''
while True:
    try:
        d = os.read(master, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, status = os.waitpid(pid, 0)
if outer:
    open(outer, 'wb').write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;

/** Runs `node <nodeArgs...>` on a new terminal; see PTY_PARENT for `background` and `outer`. */
export function runOnPty(nodeArgs: string[], options: { background?: boolean; outer?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(
    'python3',
    ['-c', PTY_PARENT, process.execPath, options.background ? '1' : '0', options.outer ?? '', ...nodeArgs],
    { encoding: 'utf8', timeout: 30000 },
  );
}

/**
 * Writes `code` into a script that can require lib/ TypeScript and report a value with
 * `result(value)`, runs it on a new terminal ({@link runOnPty}), and returns node's exit
 * code (100 + signal when stopped in the background) and what it reported, if anything.
 */
export function runScriptOnPty(
  code: string,
  options: { background?: boolean } = {},
): { exitCode: number | null; stderr: string; result: Record<string, any> | undefined } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-pty-'));
  try {
    const script = path.join(dir, 'script.js');
    const result = path.join(dir, 'result.json');
    fs.writeFileSync(
      script,
      `require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))});\n` +
        `const result = (v) => require('node:fs').writeFileSync(process.argv[2], JSON.stringify(v));\n` +
        `${code}\n`,
    );
    const r = runOnPty([script, result], options);
    const text = fs.existsSync(result) ? fs.readFileSync(result, 'utf8') : undefined;
    return { exitCode: r.status, stderr: r.stderr, result: text === undefined ? undefined : JSON.parse(text) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
