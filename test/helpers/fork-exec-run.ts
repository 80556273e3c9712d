// Runs an exec fixture (test/fixtures/fork/exec.js) in its own node process.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export interface ExecRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

export function runExecFixture(name: string): ExecRun {
  const script = path.resolve(__dirname, '..', 'fixtures', 'fork', 'exec.js');
  const r = spawnSync(process.execPath, [script, name], { encoding: 'utf8', timeout: 20000 });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status, signal: r.signal };
}

export function resultOf(run: ExecRun): Record<string, any> {
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`no RESULT line:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(line.slice(7));
}
