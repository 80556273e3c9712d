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
 * (child_process, so libuv reaps it by pid), and resolves when it has exited.
 */
export function runBin(argv: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', path.join(ROOT, 'test', 'helpers', 'ts-register.js'), path.join(ROOT, 'lib', 'cli', 'main.ts'), ...argv],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === null) reject(new Error(`unixproc ${argv.join(' ')} was killed by ${signal}`));
      else resolve({ code, stdout, stderr });
    });
  });
}
