// Runs the `unixproc` command for the CLI tests: in-process through main() with a capturing
// io, or as the real bin in a child node process (lib/cli/main.ts through ts-register.js).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { main } from '../../lib/cli';

/** What one run of the command printed, and its exit code. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `unixproc <argv>` in this process; `columns` makes stdout look like a terminal that wide. */
export async function runCli(argv: readonly string[], columns?: number): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: {
      write: (s: string) => {
        stdout += s;
        return true;
      },
      columns,
    },
    stderr: {
      write: (s: string) => {
        stderr += s;
        return true;
      },
    },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const ROOT = path.join(__dirname, '..', '..');

/**
 * Runs the real bin, `node -r test/helpers/ts-register.js lib/cli/main.ts <argv>`, as a child
 * (child_process, so libuv reaps it by pid), and resolves when it has exited. With
 * `stdoutFd`, its stdout is that fd (and `stdout` is '').
 */
export function runBin(argv: readonly string[], stdoutFd?: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', path.join(ROOT, 'test', 'helpers', 'ts-register.js'), path.join(ROOT, 'lib', 'cli', 'main.ts'), ...argv],
      { cwd: ROOT, stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === null) reject(new Error(`unixproc ${argv.join(' ')} was killed by ${signal}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

// Creates a pipe, closes its read end, then runs the bin with stdout on the write end: its
// first write fails with EPIPE, as when `unixproc ps | head` has read enough. (Python, because
// Node cannot hand a child one end of a pipe whose other end is already closed.)
const CLOSED_PIPE = `
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
sys.stdout.write(str(p.returncode) + "\\n" + p.stderr.decode("utf-8", "replace"))
`;

/** Runs the real bin with its stdout on a pipe nobody reads any more; stdout is always ''. */
export function runBinIntoClosedPipe(python: string, argv: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      python,
      ['-c', CLOSED_PIPE, process.execPath, '-r', path.join(ROOT, 'test', 'helpers', 'ts-register.js'), path.join(ROOT, 'lib', 'cli', 'main.ts'), ...argv],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the closed-pipe runner exited ${code}`));
      const nl = out.indexOf('\n');
      resolve({ code: Number(out.slice(0, nl)), stdout: '', stderr: out.slice(nl + 1) });
    });
  });
}
