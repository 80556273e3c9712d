// Runs a fork fixture in its own `node --single-threaded` process (jest workers are not
// single-threaded) and returns what it printed, with the RESULT line parsed.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export interface FixtureRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly result: Record<string, unknown> & { status?: number; hung?: boolean; pid?: number };
}

const root = path.resolve(__dirname, '..', '..');

export function runFixture(script: string, args: string[], flags = ['--single-threaded', '--expose-gc'], env?: NodeJS.ProcessEnv): FixtureRun {
  const r = spawnSync(process.execPath, [...flags, path.join(root, 'test', 'fixtures', 'fork', script), ...args], {
    encoding: 'utf8',
    timeout: 40000, // the fixture's own watchdog kills its children after 10 s
    maxBuffer: 16 * 1024 * 1024,
    env: env ?? process.env,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) {
    throw new Error(`fixture ${script} ${args.join(' ')} printed no RESULT (exit ${r.status}, signal ${r.signal}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  }
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status, result: JSON.parse(line.slice(7)) };
}
