/**
 * Helpers for the os-core tests: children made with unixproc's own posix_spawn (never
 * child_process, whose children libuv reaps), the list of this process's children from
 * /proc, and running a script of lib/ code in a fresh node process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from '../../lib/os';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Spawns `/bin/sh -c script` with unixproc's posix_spawn; returns the pid. */
export function spawnSh(script: string, options?: os.PosixSpawnOptions): number {
  return os.posix_spawn('/bin/sh', ['sh', '-c', script], null, options);
}

/** Waits for `pid` and returns its raw status. */
export function reap(pid: number): number {
  const [got, status] = os.waitpid(pid, 0);
  if (got !== pid) throw new Error(`waitpid(${pid}) returned pid ${got}`);
  return status;
}

/** Pids of the live (or zombie) children of `ppid`, read from /proc/<pid>/stat. */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // gone
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === ppid) out.push(Number(name));
  }
  return out;
}

/** The state letter of /proc/<pid>/stat ('Z', 'T', 'S'...), or undefined when gone. */
export function stateOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Polls (without a timing assertion) until `pid` is in one of `states`. */
export async function untilState(pid: number, states: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const s = stateOf(pid);
    if (s !== undefined && states.includes(s)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`pid ${pid} never reached state ${states} (last: ${stateOf(pid)})`);
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'unixproc-os-core-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs `code` (CommonJS; `os` is unixproc/os loaded from lib/ TypeScript) in a new node
 * process spawned with posix_spawn; returns its raw wait status and what it wrote to stdout.
 */
export function runNodeScript(code: string, options: os.PosixSpawnOptions = {}): { status: number; stdout: string } {
  const { dir, cleanup } = tempDir();
  try {
    const script = path.join(dir, 'script.js');
    fs.writeFileSync(
      script,
      `require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))});\n` +
        `const os = require(${JSON.stringify(path.join(ROOT, 'lib/os'))});\n${code}\n`,
    );
    return runCapture(process.execPath, ['node', script], options);
  } finally {
    cleanup();
  }
}

/** Runs `file argv` with posix_spawn, its stdout into a temp file; returns status and stdout. */
export function runCapture(file: string, argv: string[], options: os.PosixSpawnOptions = {}, env: os.Environment = null): { status: number; stdout: string } {
  const { dir, cleanup } = tempDir();
  try {
    const out = path.join(dir, 'stdout');
    const pid = os.posix_spawn(file, argv, env, {
      ...options,
      file_actions: [[os.POSIX_SPAWN_OPEN, 1, out, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600], ...(options.file_actions ?? [])],
    });
    const status = reap(pid);
    return { status, stdout: fs.readFileSync(out, 'utf8') };
  } finally {
    cleanup();
  }
}

/** The fds a program sees, from `ls -l /proc/self/fd` run as that program (ls's own fd dropped). */
export function fdsOfSpawned(options: os.PosixSpawnOptions = {}): Map<number, string> {
  const { status, stdout } = runCapture('/bin/ls', ['ls', '-l', '/proc/self/fd'], options);
  if (status !== 0) throw new Error(`ls failed with status ${status}`);
  const fds = new Map<number, string>();
  for (const m of stdout.matchAll(/ (\d+) -> (.*)$/gm)) {
    if (!/^\/proc\/\d+\/fd$/.test(m[2])) fds.set(Number(m[1]), m[2]);
  }
  return fds;
}

/** A signal mask field of /proc/<pid>/status ('SigIgn', 'SigBlk', ...) as a bigint. */
export function signalMask(statusText: string, field: string): bigint {
  const m = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(statusText);
  if (m === null) throw new Error(`no ${field} in status`);
  return BigInt(`0x${m[1]}`);
}

/**
 * Why a test must not dump a core under this kernel.core_pattern, or undefined when the core
 * lands in the dumping process's working directory (a test's temp dir): a pattern with a '/'
 * writes elsewhere (e.g. /var/crash), one starting with '|' hands the core to a program
 * (systemd-coredump, apport). See core(5).
 */
export function coreDumpSkipReason(pattern: string): string | undefined {
  if (pattern.startsWith('|')) return `core_pattern pipes cores to a program (${pattern})`;
  if (pattern.includes('/')) return `core_pattern writes cores outside the working directory (${pattern})`;
  return undefined;
}
