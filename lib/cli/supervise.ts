/**
 * `unixproc supervise [options] -- <cmd> [args...]`: runs a command under a supervisor in
 * the foreground (lib/supervise), logging its restarts to stderr. SIGTERM or SIGINT
 * terminates it gracefully (a second one SIGKILLs the group). The exit code is the child's last one
 * (128 + signal number when a signal ended it), or 1 when the supervisor gave up. With
 * `--metrics-listen ADDR:PORT` it serves the service's metrics on /metrics (docs/prometheus.md).
 * @internal
 */
import { isErrnoException } from '../errors';
import { describeExitStatus, shellExitCode } from '../exit-status';
import { notify, supervise, type Supervisor } from '../supervise/index';
import { validateSupervisorOptions, type RestartPolicy, type SupervisorOptions } from '../supervise/options';
import { parseArgs, signalOf, UsageError, type CliIO, type Command } from './command';
import type { ProcfileRun } from './supervise-procfile';
import { holdSignals } from './held-signals';
import { escapeText } from './text';

const usage = `usage: unixproc supervise [options] -- <cmd> [args...]
       unixproc supervise --procfile <file> [--env <file>] [--only <names>] [options]

Runs <cmd> in its own process group, restarts it by policy, and terminates the whole group
on SIGTERM/SIGINT (the kill signal, then SIGKILL after the kill grace period).

With --procfile, runs every 'name: command' line of a Procfile (foreman's format) as a named
service (/bin/sh -c command, in the Procfile's directory, PORT=5000+100*n), started in the
file's order, each once the previous one is ready, stopped in reverse order on one SIGINT or
SIGTERM. Their output lines are prefixed with the service's name (coloured on a terminal,
not under NO_COLOR). The options below apply to every service.

  --procfile <file>           the Procfile
  --env <file>                variables for every service, KEY=value lines (default: .env
                              beside the Procfile, when there is one)
  --only <name,name>          run only these services
  --port <n>                  the first service's PORT (default: PORT of the env file or the
                              environment, else 5000)

options:
  --name <name>               the service's name: the service label of its metrics (default: the
                              command's basename)
  --metrics-listen <addr:port>
                              serve the service's metrics (up, ready, state, restarts, start-limit
                              hits, its tree) at http://<addr:port>/metrics for Prometheus, e.g.
                              127.0.0.1:9257, [::1]:9257, :9257 (every address)
  --restart <policy>          always | on-failure | never (default on-failure)
  --kill-signal <sig>         signal that starts a termination, e.g. TERM, SIGINT, 15 (default SIGTERM)
  --kill-grace-period <ms>    ms between the kill signal and SIGKILL (default 10000)
  --max-restarts <n>          give up after n restarts within the window (default 5)
  --window <ms>               the start-limit window (default 10000)
  --backoff <ms>              delay before the first restart, doubled each time (default 100)
  --backoff-max <ms>          longest delay between restarts (default 30000)
  --ready <how>               spawn | notify (sd_notify on NOTIFY_SOCKET) | fd:<n> (a newline on fd n)
                              (default spawn)
  --ready-timeout <ms>        a start not ready by then fails (default 90000)
  --watchdog <ms>             end and restart a ready child that sends no WATCHDOG=1 for that long

Run by systemd (NOTIFY_SOCKET set, Type=notify), it sends READY=1 once the command is
ready, WATCHDOG=1 every WATCHDOG_USEC/2 when the unit has a watchdog, STOPPING=1 on a stop.

exit code: the child's last exit code (128 + signal number if a signal ended it),
1 when the supervisor gave up (start limit, or the command cannot be started) or the
metrics address cannot be listened on, 2 usage. With --procfile: 0 once stopped by a
signal, 1 when it gave up or the Procfile or env file cannot be read or parsed (the message
names the line), else the last non-zero exit code of a service.`;

function milliseconds(flags: Map<string, string | true>, name: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`--${name} must be a non-negative integer, not '${String(v)}'`);
  return Number(v);
}



/** The exit code the command ends with, for a final state. */
function exitCode(sup: Supervisor, final: 'stopped' | 'failed'): number {
  if (final === 'failed') return 1;
  const s = sup.lastStatus;
  return s === undefined ? 0 : shellExitCode(s);
}

function options(flags: Map<string, string | true>): SupervisorOptions {
  const restart = flags.get('restart');
  if (restart !== undefined && !['always', 'on-failure', 'never'].includes(String(restart))) {
    throw new UsageError(`--restart must be always, on-failure or never, not '${String(restart)}'`);
  }
  const killSignal = flags.get('kill-signal');
  const maxRestarts = milliseconds(flags, 'max-restarts');
  const window = milliseconds(flags, 'window');
  const initial = milliseconds(flags, 'backoff');
  const max = milliseconds(flags, 'backoff-max');
  if (window === 0) throw new UsageError('--window must be positive');
  const name = flags.get('name');
  const ready = flags.get('ready');
  let readiness: SupervisorOptions['ready'];
  if (ready !== undefined) {
    const m = /^fd:(\d+)$/.exec(String(ready));
    if (ready === 'spawn' || ready === 'notify') readiness = ready;
    else if (m !== null) readiness = { fd: Number(m[1]) };
    else throw new UsageError(`--ready must be spawn, notify or fd:<n>, not '${String(ready)}'`);
  }
  const watchdog = milliseconds(flags, 'watchdog');
  return {
    ready: readiness,
    readyTimeout: milliseconds(flags, 'ready-timeout'),
    watchdog,
    name: typeof name === 'string' ? name : undefined,
    restart: restart as RestartPolicy | undefined,
    killSignal: typeof killSignal === 'string' ? signalOf(killSignal) : undefined,
    killGracePeriod: milliseconds(flags, 'kill-grace-period'),
    startLimit: { maxRestarts, window },
    backoff: {
      initial,
      max: max ?? (initial !== undefined ? Math.max(initial, 30000) : undefined),
    },
  };
}

/** The options as supervise() will check them, before anything listens or starts: usage errors. */
function checkOptions(opts: SupervisorOptions): void {
  try {
    validateSupervisorOptions(opts);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_')) throw new UsageError((e as Error).message);
    throw e;
  }
}

export const command: Command = {
  summary: 'run a command under a supervisor: restart policy, backoff, graceful group stop',
  usage,
  async run(argv: readonly string[], io: CliIO): Promise<number> {
    const { flags, positionals, rest } = parseArgs(
      argv,
      [],
      [
        'name', 'metrics-listen', 'restart', 'kill-signal', 'kill-grace-period', 'max-restarts', 'window', 'backoff', 'backoff-max',
        'ready', 'ready-timeout', 'watchdog', 'procfile', 'env', 'only', 'port',
      ],
      {},
      { 'stop-signal': 'kill-signal', 'stop-timeout': 'kill-grace-period' },
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (put the command after --)`);
    const procfile = procfileRun(flags, rest);
    if (procfile === undefined && (rest === undefined || rest.length === 0)) {
      throw new UsageError('no command: unixproc supervise [options] -- <cmd> [args...], or --procfile <file>');
    }
    const opts = options(flags);
    checkOptions(opts);
    const log = (s: string): void => void io.stderr.write(`unixproc supervise: ${s}\n`);
    const listenText = flags.get('metrics-listen');
    // Loaded only for --metrics-listen (node:http, the exposition).
    const metrics = listenText === undefined ? undefined : (require('./metrics-server') as typeof import('./metrics-server'));
    const listen = metrics?.parseListenAddress(String(listenText), '--metrics-listen');

    // Listen before the command starts: a busy port is an error with nothing started.
    let services: () => Supervisor[] = () => [];
    let server: import('./metrics-server').MetricsServer | undefined;
    if (metrics !== undefined && listen !== undefined) {
      const { collectServiceMetrics } = require('../metrics/services') as typeof import('../metrics/services');
      try {
        server = await metrics.startMetricsServer(listen, () => collectServiceMetrics(services()), log);
      } catch (e) {
        log(`--metrics-listen ${escapeText(listen.text)}: ${(e as Error).message}`);
        return 1;
      }
      log(`serving metrics at http://${server.address}/metrics`);
    }
    try {
      if (procfile !== undefined) {
        // Loaded only for --procfile (the tree, the Procfile reader).
        const { runProcfile } = require('./supervise-procfile') as typeof import('./supervise-procfile');
        return await runProcfile({ ...procfile, options: opts }, io, log, (tree) => {
          services = () => tree.children.flatMap((c) => (c.supervisor === undefined ? [] : [c.supervisor]));
          return tellManager(tree, log);
        });
      }
      return await runSupervised(rest!, opts, log, (s) => (services = () => [s]));
    } finally {
      await server?.close();
    }
  },
};

/** The --procfile selection, or undefined without --procfile; its flags without it are usage errors. */
function procfileRun(flags: Map<string, string | true>, rest: readonly string[] | undefined): Omit<ProcfileRun, 'options'> | undefined {
  const file = flags.get('procfile');
  if (file === undefined) {
    for (const f of ['env', 'only', 'port']) if (flags.has(f)) throw new UsageError(`--${f} goes with --procfile`);
    return undefined;
  }
  if (rest !== undefined) throw new UsageError('--procfile runs the Procfile\'s commands: give no command after --');
  if (flags.has('name')) throw new UsageError("--procfile names each service after its Procfile line: --name does not apply");
  const only = flags.get('only');
  const names = typeof only === 'string' ? only.split(',').map((n) => n.trim()) : undefined;
  if (names !== undefined && names.some((n) => n === '')) throw new UsageError(`--only must be a comma-separated list of names, not '${escapeText(String(only))}'`);
  const port = flags.get('port');
  if (port !== undefined && (typeof port !== 'string' || !/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw new UsageError(`--port must be a port number (1 to 65535), not '${escapeText(String(port))}'`);
  }
  const env = flags.get('env');
  return { procfile: String(file), envFile: typeof env === 'string' ? env : undefined, only: names, port: port === undefined ? undefined : Number(port) };
}

/** Runs the supervised command to its end; `started` is told the supervisor once it exists. */
async function runSupervised(
  rest: readonly string[],
  opts: SupervisorOptions,
  log: (s: string) => void,
  started: (sup: Supervisor) => void,
): Promise<number> {
  // Listening before the child starts: a SIGTERM that comes while supervise() is still
  // setting up (the child already running) stops it, instead of killing this process.
  const signals = holdSignals(['SIGTERM', 'SIGINT']);
  let sup: Supervisor;
  try {
    sup = supervise(rest[0], rest.slice(1), opts);
    started(sup);
  } catch (e) {
    signals.release();
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_')) throw new UsageError((e as Error).message);
    log(`cannot start ${rest[0]}: ${isErrnoException(e) ? e.message : String(e)}`);
    return 1;
  }
  // Which mechanism holds the child's tree (docs/containment.md), or its group only.
  log(`started ${rest[0]} (pid ${sup.pid}, ${sup.containment !== undefined ? `tree contained by ${sup.containment}` : 'process group only'})`);
  sup.on('spawn', (pid) => log(`restarted ${rest[0]} (pid ${pid}, restart ${sup.restarts})`));
  sup.on('exit', ({ pid, status }) => log(`pid ${pid} ${describeExitStatus(status)}`));
  sup.on('restart', ({ delay, count }) => log(`restart ${count} in ${delay} ms`));
  sup.on('spawnError', (e) => log(`cannot start ${rest[0]}: ${e.message}`));
  sup.on('failed', (f) =>
    log(f.reason === 'start-limit' ? `giving up: start limit reached (${sup.restarts} restarts)` : `giving up: ${f.error?.message}`),
  );

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stopping) {
      stopping = true;
      log(`${signal}: terminating`);
      void sup.terminate();
    } else {
      log(`${signal} again: killing the group`);
      try {
        sup.kill('SIGKILL');
      } catch (e) {
        // A member that changed credentials (EPERM), or the group already gone: say so,
        // and let the stop in progress finish.
        log(`could not kill the group: ${(e as Error).message}`);
      }
    }
  };
  signals.handle(onSignal);
  const manager = tellManager(sup, log);
  try {
    const final = await sup.done();
    return exitCode(sup, final);
  } finally {
    manager.stop();
    signals.release();
  }
}

/**
 * When this process runs under a service manager (NOTIFY_SOCKET set: systemd's Type=notify),
 * tells it: READY=1 once the service is first ready, WATCHDOG=1 every WATCHDOG_USEC / 2 (when
 * WATCHDOG_PID is unset or names this process, sd_watchdog_enabled(3)), STOPPING=1 when it
 * stops or gives up. A send that fails is logged, never fatal.
 */
function tellManager(sup: { ready(): Promise<unknown> }, log: (s: string) => void): { stop(): void } {
  const socket = process.env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return { stop: () => undefined };
  const send = (state: string): void => {
    try {
      notify(state, socket);
    } catch (e) {
      log(`NOTIFY_SOCKET ${escapeText(socket)}: ${(e as Error).message}`);
    }
  };
  sup.ready().then(
    () => send('READY=1'),
    () => undefined,
  );
  let timer: NodeJS.Timeout | undefined;
  const usec = Number(process.env.WATCHDOG_USEC);
  const watchdogPid = process.env.WATCHDOG_PID;
  if (Number.isSafeInteger(usec) && usec > 0 && (watchdogPid === undefined || watchdogPid === String(process.pid))) {
    timer = setInterval(() => send('WATCHDOG=1'), Math.max(1, Math.floor(usec / 2000)));
    timer.unref();
  }
  return {
    stop: () => {
      clearInterval(timer);
      send('STOPPING=1');
    },
  };
}
