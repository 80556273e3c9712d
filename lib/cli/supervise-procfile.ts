/**
 * `unixproc supervise --procfile Procfile`: every `name: command` line of a Procfile (the
 * foreman/honcho/overmind convention) as a named service of one supervision tree
 * (one-for-one), started in the file's order (each once the previous one is ready), stopped
 * in reverse order on one SIGINT or SIGTERM (a second one SIGKILLs every service's tree).
 * Each service's stdout and stderr lines go to ours, prefixed with its name (coloured on a
 * terminal, never under NO_COLOR). docs/supervise.md, "Procfiles".
 * @internal
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { describeExitStatus, shellExitCode } from '../exit-status';
import type { Supervisor } from '../supervise/supervisor';
import { superviseTree, type SupervisionTree } from '../supervise/tree';
import type { ServiceSpec } from '../supervise/tree-options';
import type { SupervisorOptions } from '../supervise/options';
import { UsageError, type CliIO } from './command';
import { linePrefixes, parseEnvFile, parseProcfile, ProcfileError, useColour } from './procfile';
import { holdSignals } from './held-signals';
import { escapeText } from './text';

/** What the Procfile mode is given: the files, the selection, and the options every service gets. */
export interface ProcfileRun {
  readonly procfile: string;
  /** The .env file; undefined: `.env` beside the Procfile, when there is one. */
  readonly envFile: string | undefined;
  /** `--only`: the names to run (in the Procfile's order), or undefined for all. */
  readonly only: readonly string[] | undefined;
  /** `--port`: the first service's PORT (default: PORT from the .env file or the environment, else 5000). */
  readonly port: number | undefined;
  readonly options: SupervisorOptions;
}

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ProcfileError(file, 0, `${what}: ${code ?? (e as Error).message}`);
  }
}

/** The services of the run, in start order; a {@link ProcfileError} or {@link UsageError} when they cannot be. */
export function procfileServices(run: ProcfileRun, env: NodeJS.ProcessEnv, colour: boolean): ServiceSpec[] {
  const entries = parseProcfile(readText(run.procfile, 'cannot read the Procfile'), run.procfile);
  const dir = path.dirname(path.resolve(run.procfile));
  const envPath = run.envFile ?? path.join(dir, '.env');
  let fileEnv = new Map<string, string>();
  if (run.envFile !== undefined || fs.existsSync(envPath)) fileEnv = parseEnvFile(readText(envPath, 'cannot read the env file'), envPath);
  let chosen = entries;
  if (run.only !== undefined) {
    const known = new Set(entries.map((e) => e.name));
    const unknown = run.only.filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new UsageError(`--only: no process type ${unknown.map((n) => `'${escapeText(n)}'`).join(', ')} in ${run.procfile} (it has ${[...known].join(', ')})`);
    }
    chosen = entries.filter((e) => run.only!.includes(e.name));
  }
  const base = run.port ?? portOf(fileEnv.get('PORT') ?? env.PORT) ?? 5000;
  const prefixes = linePrefixes(chosen.map((e) => e.name), colour);
  // name, backoff and the start limit are the tree's: it restarts its services.
  const { name: _name, backoff: _backoff, startLimit: _startLimit, ...serviceOptions } = run.options;
  const specs = chosen.map((e): ServiceSpec => {
    // foreman's index is the service's place in the whole Procfile, so --only keeps each PORT.
    const index = entries.indexOf(e);
    return {
      name: e.name,
      file: '/bin/sh',
      args: ['-c', e.command],
      options: {
        ...serviceOptions,
        cwd: dir,
        env: { ...env, ...Object.fromEntries(fileEnv), PORT: String(base + 100 * index) },
        stdio: ['ignore', 'pipe', 'pipe'],
        output: { lines: true, prefix: prefixes.get(e.name) },
      },
    };
  });
  return specs;
}

function portOf(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,5}$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 && n < 65536 ? n : undefined;
}

/** Copies one service's output streams onto ours, whole lines at a time. */
function follow(sup: Supervisor, io: CliIO): void {
  for (const [stream, out] of [
    [sup.stdout, io.stdout],
    [sup.stderr, io.stderr],
  ] as const) {
    if (stream === null) continue;
    const decoder = new StringDecoder('utf8');
    stream.on('data', (chunk: Buffer) => out.write(decoder.write(chunk)));
  }
}

/**
 * Runs the Procfile's services to their end. Resolves to the exit code: 0 once stopped by a
 * signal or when every service ended by its policy with code 0, 1 when the tree gave up (a
 * service cannot be started, or its start limit), else the last non-zero exit code of a
 * service (128 + signal number for a signal).
 * @param started told the tree once it exists; what it returns is stopped at the end (the
 *   service manager's notifications)
 */
export async function runProcfile(run: ProcfileRun, io: CliIO, log: (s: string) => void, started: (tree: SupervisionTree) => { stop(): void }): Promise<number> {
  const colour = useColour((io.stdout as { isTTY?: boolean }).isTTY, process.env);
  let specs: ServiceSpec[];
  try {
    specs = procfileServices(run, process.env, colour);
  } catch (e) {
    if (e instanceof ProcfileError) {
      log(e.line === 0 ? `${escapeText(e.message.replace(/^(.*):0: /, '$1: '))}` : escapeText(e.message));
      return 1;
    }
    throw e;
  }
  // Listening before the first service starts: a SIGTERM that comes while the tree is still
  // being set up stops it, instead of killing this process.
  const signals = holdSignals(['SIGTERM', 'SIGINT']);
  let tree: SupervisionTree;
  try {
    tree = superviseTree(specs, { name: run.options.name ?? path.basename(run.procfile), backoff: run.options.backoff, startLimit: run.options.startLimit });
  } catch (e) {
    signals.release();
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_')) throw new UsageError((e as Error).message);
    throw e;
  }
  const manager = started(tree);
  const followed = new Set<string>();
  let lastBad = 0;
  tree.on('spawn', ({ name, pid }) => {
    const child = tree.children.find((c) => c.name === name);
    if (child?.supervisor !== undefined && !followed.has(name)) {
      followed.add(name);
      follow(child.supervisor, io);
    }
    log(`${name}: started (pid ${pid})`);
  });
  tree.on('childReady', ({ name }) => log(`${name}: ready`));
  tree.on('exit', ({ name, pid, status, reason }) => {
    if (reason !== 'terminated' && !(status.kind === 'exited' && status.code === 0)) lastBad = shellExitCode(status);
    log(`${name}: pid ${pid} ${describeExitStatus(status)}`);
  });
  tree.on('restart', ({ name, children, delay }) => log(`${name} ended: restarting ${children.join(', ')} in ${delay} ms`));
  tree.on('spawnError', ({ name, error }) => log(`${name}: cannot start: ${escapeText(error.message)}`));
  tree.on('ready', () => {
    // A service that ended by its policy before it was ready (exit 0 under on-failure) does
    // not hold the others back; it is not called ready either.
    const running = tree.children.filter((c) => c.state === 'running').length;
    log(running === specs.length ? `all ${specs.length} services ready` : `${running} of ${specs.length} services ready, the others have ended`);
  });
  tree.on('failed', (f) =>
    log(f.reason === 'start-limit' ? `giving up: ${f.name} reached the start limit; stopping the others` : `giving up: ${f.name}: ${escapeText(f.error?.message ?? 'cannot start')}`),
  );

  let stopping = false;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled = true;
    if (!stopping) {
      stopping = true;
      log(`${signal}: stopping ${specs.length} services in reverse order`);
      void tree.terminate();
      return;
    }
    log(`${signal} again: killing every service's tree`);
    for (const c of tree.children) {
      try {
        c.supervisor?.kill('SIGKILL');
      } catch (e) {
        log(`${c.name}: could not kill: ${(e as Error).message}`);
      }
    }
  };
  signals.handle(onSignal);
  try {
    const final = await tree.done();
    if (final === 'failed') return 1;
    return signalled ? 0 : lastBad;
  } finally {
    manager.stop();
    signals.release();
  }
}
