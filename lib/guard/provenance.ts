/**
 * Provenance of the processes a test run starts: who started each one, from which line.
 *
 * Recording ({@link installProvenance}): every child_process spawn (spawn, exec, execFile,
 * fork and the sync forms) and every unixproc spawn (spawn(), posix_spawn, fork(), system())
 * made in this thread appends one JSON line to `<dir>/<pid>.jsonl` before the child starts
 * (the JS stack of the call, the test file, the current test's name, the command), and one
 * after (the child's identity: pid + start time). The lines are written synchronously, so a
 * worker killed mid-run loses nothing. The child gets `UNIXPROC_PROVENANCE=<id>` in its
 * environment, which every process it starts in turn inherits.
 *
 * Reading ({@link ProvenanceIndex}): a leaked process is attributed to the record of its own
 * identity, else to the id in its /proc/<pid>/environ, else to those of its nearest living
 * ancestor (the walk up the ppid chain covers programs that clear their environment).
 * Nothing found: unknown, never guessed. The files are outside input: malformed lines are
 * skipped, sizes are capped.
 * @internal
 */
import cp = require('node:child_process');
import * as fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extra } from '../proc/binding';
import { validateProcfsOptions } from '../proc/options';
import { readEntry, readOne } from '../proc/table';
import type { LeakedProcess, LeakReport } from './report';
import { setSpawnProvenanceHook, spawnProvenanceHook, type SpawnProvenanceHook, type SpawnRecord } from '../provenance-hook';

/** The per-run directory the records go to (inherited by a runner's workers). */
export const PROVENANCE_DIR_ENV = 'UNIXPROC_PROVENANCE_DIR';
/** The record id a started process (and everything below it) carries. */
export const PROVENANCE_ENV = 'UNIXPROC_PROVENANCE';

const DEFAULT_OPTS = validateProcfsOptions(undefined);
/** The package's own code (lib/ or dist/), whose frames are never "the line". */
const OWN_ROOTS = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..', 'dist'), path.resolve(__dirname, '..', '..', 'lib')];
const MAX_FRAMES = 16;
/** Read caps: one record line, one file. Bigger lines are skipped, bigger files read up to the cap. */
const MAX_LINE = 64 * 1024;
const MAX_FILE = 64 * 1024 * 1024;

/** One stack frame, as V8 printed it. */
export interface ProvenanceFrame {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly function: string | undefined;
}

/** Where a leaked process came from. */
export interface Provenance {
  /** The id of the spawn record (`<pid>.<n>` of the recording process). */
  readonly id: string;
  /** The API that started the recorded process: `'child_process.spawn'`, `'unixproc.spawn'`... */
  readonly via: string;
  /** The test file running at the time (absolute), or undefined when none was. */
  readonly testFile: string | undefined;
  /** The current test's full name, where the runner exposes it. */
  readonly testName: string | undefined;
  /** The first frame outside node_modules, Node's internals and unixproc: "the line". Undefined when the stack had none. */
  readonly site: ProvenanceFrame | undefined;
  /** The command the recorded spawn ran. */
  readonly command: readonly string[];
  /** The recorded process's identity, when it was read at spawn time. */
  readonly pid: number | undefined;
  readonly startTime: number | undefined;
  /**
   * From the recorded process down to the leaked one: the recorded command, then each
   * living process in between, then the leaked process (a process that is gone, an
   * orphan's exited parent, shows as `…`).
   */
  readonly chain: readonly string[];
  /** How the record was found: the process's own identity, its environment, or an ancestor's. */
  readonly match: 'identity' | 'environment' | 'ancestor';
}

/** The current test, as the runner integration knows it. */
export interface ProvenanceContext {
  readonly testFile: string | undefined;
  readonly testName: string | undefined;
}

interface Recorder {
  readonly dir: string;
  context: () => ProvenanceContext;
  fd: number;
  fdPid: number;
  n: number;
  readonly restore: () => void;
}

const RECORDER = Symbol.for('unixproc.provenanceRecorder.v1');
type Global = Record<symbol, Recorder | undefined>;

function write(rec: Recorder, value: object): void {
  try {
    if (rec.fdPid !== process.pid) {
      // First write, or after a fork(): one file per process, appended.
      rec.fd = fs.openSync(path.join(rec.dir, `${process.pid}.jsonl`), 'a');
      rec.fdPid = process.pid;
    }
    fs.writeSync(rec.fd, `${JSON.stringify(value)}\n`);
  } catch {
    // A run directory removed under us must not make the spawn fail: the record is lost.
  }
}

const statBuf = Buffer.alloc(1024);

function startTimeOf(pid: number): number | undefined {
  let fd = -1;
  try {
    fd = fs.openSync(`/proc/${pid}/stat`, 'r');
    const n = fs.readSync(fd, statBuf, 0, statBuf.length, 0);
    const stat = statBuf.toString('latin1', 0, n);
    const v = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 20)[19]);
    return Number.isSafeInteger(v) ? v : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== -1) fs.closeSync(fd);
  }
}

function captureStack(): string[] {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = MAX_FRAMES;
  const holder: { stack?: string } = {};
  try {
    Error.captureStackTrace(holder, captureStack);
  } finally {
    Error.stackTraceLimit = saved;
  }
  const text = typeof holder.stack === 'string' ? holder.stack : '';
  return text.split('\n').slice(1).map((l) => l.trim());
}

/** The API name from the stack: the outermost frame in node:child_process. */
function viaFromStack(stack: readonly string[], fallback: string): string {
  let via = fallback;
  for (const l of stack) {
    const m = /^at (?:new )?([\w$.]+) \(node:child_process:/.exec(l);
    if (m !== null) via = `child_process.${m[1].replace(/^.*\./, '')}`;
  }
  return via;
}

function begin(rec: Recorder, via: string, argv: readonly (string | Buffer)[], deferred: boolean): SpawnRecord {
  const id = `${process.pid}.${++rec.n}`;
  const stack = captureStack();
  let ctx: ProvenanceContext = { testFile: undefined, testName: undefined };
  try {
    ctx = rec.context();
  } catch {
    // The runner's state could not be read: the file and test stay unknown.
  }
  const record = {
    id,
    via: viaFromStack(stack, via),
    testFile: ctx.testFile,
    testName: ctx.testName,
    command: argv.slice(0, 32).map((a) => a.toString().slice(0, 512)),
    stack,
    pid: undefined as number | undefined,
    startTime: undefined as number | undefined,
  };
  // A spawn that returns at once (the child started) is written once, with the child's
  // identity; one that may take long (a sync form, system()) at once, so that a worker
  // killed meanwhile does not lose it.
  if (!deferred) write(rec, record);
  return {
    entry: `${PROVENANCE_ENV}=${id}`,
    done(pid: number): void {
      if (deferred) write(rec, { ...record, pid, startTime: startTimeOf(pid) });
      else write(rec, { id, pid, startTime: startTimeOf(pid) });
    },
  };
}

/** Options of {@link installProvenance}. */
export interface InstallProvenanceOptions {
  /** The run directory (default: `UNIXPROC_PROVENANCE_DIR`). */
  readonly dir?: string;
  /** The current test file and test name, asked at each spawn. */
  readonly context?: () => ProvenanceContext;
}

/**
 * Starts recording in this thread (once; a second call only replaces `context`). Returns
 * false when there is no run directory (nothing is recorded then).
 * @internal
 */
export function installProvenance(options: InstallProvenanceOptions = {}): boolean {
  const g = globalThis as Global;
  const dir = options.dir ?? process.env[PROVENANCE_DIR_ENV];
  const running = g[RECORDER];
  if (running !== undefined) {
    if (options.context !== undefined) running.context = options.context;
    return true;
  }
  if (dir === undefined || dir === '' || !path.isAbsolute(dir)) return false;
  const context = options.context ?? (() => ({ testFile: undefined, testName: undefined }));
  const rec: Recorder = { dir, context, fd: -1, fdPid: -1, n: 0, restore: () => undefined };
  const restore = patchChildProcess(rec);
  const hook: SpawnProvenanceHook = { begin: (via, argv) => begin(rec, via, argv, via !== 'unixproc.system') };
  const previousHook = spawnProvenanceHook();
  setSpawnProvenanceHook(hook);
  (rec as { restore: () => void }).restore = () => {
    restore();
    if (spawnProvenanceHook() === hook) setSpawnProvenanceHook(previousHook);
  };
  g[RECORDER] = rec;
  return true;
}

/** Stops recording in this thread (restores child_process). @internal */
export function uninstallProvenance(): void {
  const g = globalThis as Global;
  const rec = g[RECORDER];
  if (rec === undefined) return;
  g[RECORDER] = undefined;
  rec.restore();
  if (rec.fdPid === process.pid) {
    try {
      fs.closeSync(rec.fd);
    } catch {
      // already closed
    }
  }
}

/** Whether this thread records. @internal */
export function provenanceInstalled(): boolean {
  return (globalThis as Global)[RECORDER] !== undefined;
}

interface SpawnOptionsInternal {
  file?: string;
  args?: string[];
  envPairs?: string[];
}

function patchChildProcess(rec: Recorder): () => void {
  // Every asynchronous form (spawn, exec, execFile, fork) builds a ChildProcess and calls
  // its spawn() with the normalized options, envPairs included.
  const proto = (cp.ChildProcess as unknown as { prototype: { spawn(this: cp.ChildProcess, o: SpawnOptionsInternal): unknown } }).prototype;
  const originalSpawn = proto.spawn;
  const prefix = `${PROVENANCE_ENV}=`;
  proto.spawn = function spawn(this: cp.ChildProcess, options: SpawnOptionsInternal): unknown {
    if (options === null || typeof options !== 'object' || !Array.isArray(options.envPairs)) return originalSpawn.call(this, options);
    const r = begin(rec, 'child_process.spawn', Array.isArray(options.args) ? options.args : [String(options.file)], true);
    options.envPairs = options.envPairs.filter((e) => typeof e !== 'string' || !e.startsWith(prefix));
    options.envPairs.push(r.entry);
    const result = originalSpawn.call(this, options);
    if (typeof this.pid === 'number' && this.pid > 0) r.done(this.pid);
    return result;
  };
  // The sync forms go through an internal binding: wrap the exports, and give the child the
  // entry through its env option (or process.env during the call, when it has none).
  const mod = cp as unknown as Record<string, (...a: unknown[]) => unknown>;
  const originals: Record<string, (...a: unknown[]) => unknown> = {};
  for (const name of ['spawnSync', 'execSync', 'execFileSync']) {
    const original = mod[name];
    originals[name] = original;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const command = args.filter((a) => typeof a === 'string' || Array.isArray(a)).flat().map(String);
      const r = begin(rec, `child_process.${name}`, command, false);
      const value = r.entry.slice(prefix.length);
      // The options object is the last object argument (after an args array, if any).
      let at = -1;
      for (let i = 1; i < args.length; i++) {
        const a = args[i];
        if (a !== null && typeof a === 'object' && !Array.isArray(a)) at = i;
      }
      const opts = at === -1 ? undefined : (args[at] as { env?: NodeJS.ProcessEnv });
      let result: unknown;
      if (opts !== undefined && opts.env !== undefined && opts.env !== null) {
        const copy = [...args];
        copy[at] = { ...opts, env: { ...opts.env, [PROVENANCE_ENV]: value } };
        result = original.apply(this, copy);
      } else {
        const saved = process.env[PROVENANCE_ENV];
        process.env[PROVENANCE_ENV] = value;
        try {
          result = original.apply(this, args);
        } finally {
          if (saved === undefined) delete process.env[PROVENANCE_ENV];
          else process.env[PROVENANCE_ENV] = saved;
        }
      }
      // No identity line: the child has exited, its pid names nothing any more. What it
      // left carries the id in its environment.
      return result;
    };
    Object.defineProperty(wrapped, 'name', { value: name });
    mod[name] = wrapped;
  }
  syncBuiltinESMExports();
  return () => {
    proto.spawn = originalSpawn;
    for (const [name, original] of Object.entries(originals)) mod[name] = original;
    syncBuiltinESMExports();
  };
}

// ---------------------------------------------------------------------------------------
// Reading

interface RawRecord {
  via: string;
  testFile: string | undefined;
  testName: string | undefined;
  command: string[];
  stack: string[];
  pid: number | undefined;
  startTime: number | undefined;
}

const str = (v: unknown, max = 4096): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
const strings = (v: unknown, n: number): string[] =>
  Array.isArray(v) ? v.slice(0, n).filter((x): x is string => typeof x === 'string').map((x) => x.slice(0, 4096)) : [];

/**
 * Parses one V8 stack line (`at fn (file:line:col)`, `at file:line:col`, `at async fn (...)`);
 * undefined for native frames, `<anonymous>` and anything else without a position.
 * @internal
 */
export function parseFrame(line: string): ProvenanceFrame | undefined {
  const m = /^at (?:async )?(?:(.*?) \((.+):(\d+):(\d+)\)|(.+):(\d+):(\d+))$/.exec(line);
  if (m === null) return undefined;
  let file = m[2] ?? m[5];
  const fn = m[1];
  const ln = Number(m[3] ?? m[6]);
  const col = Number(m[4] ?? m[7]);
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file);
    } catch {
      return undefined;
    }
  }
  // A frame inside eval shows as "eval at f (file:1:2), <anonymous>": no file of its own.
  if (!path.isAbsolute(file) || file.includes(', <anonymous>')) return undefined;
  return { file, line: ln, column: col, function: fn === undefined || fn === '' ? undefined : fn };
}

/** The first frame outside node_modules, Node's internals and unixproc's own code. @internal */
export function userFrame(stack: readonly string[]): ProvenanceFrame | undefined {
  for (const l of stack) {
    const f = parseFrame(l);
    if (f === undefined) continue;
    if (f.file.split(path.sep).includes('node_modules')) continue;
    if (OWN_ROOTS.some((r) => f.file === r || f.file.startsWith(r + path.sep))) continue;
    return f;
  }
  return undefined;
}

/** The records of one run directory, read once. @internal */
export class ProvenanceIndex {
  readonly #byId = new Map<string, RawRecord>();
  readonly #byIdentity = new Map<string, string>();

  /** Reads every `*.jsonl` of `dir`; a missing or unreadable directory gives an empty index. */
  constructor(dir: string | undefined) {
    if (dir === undefined) return;
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((n) => /^\d+\.jsonl$/.test(n));
    } catch {
      return;
    }
    for (const name of names) this.#readFile(path.join(dir, name));
  }

  get size(): number {
    return this.#byId.size;
  }

  #readFile(file: string): void {
    let text: string;
    try {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
      try {
        if (!fs.fstatSync(fd).isFile()) return;
        const buf = Buffer.alloc(Math.min(fs.fstatSync(fd).size, MAX_FILE));
        const n = fs.readSync(fd, buf, 0, buf.length, 0);
        text = buf.subarray(0, n).toString('utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      if (line.length === 0 || line.length > MAX_LINE) continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        continue; // a line cut by a killed writer, or garbage
      }
      if (v === null || typeof v !== 'object') continue;
      const o = v as Record<string, unknown>;
      const id = str(o.id, 64);
      if (id === undefined) continue;
      if ('stack' in o) {
        this.#byId.set(id, {
          via: str(o.via, 64) ?? 'unknown',
          testFile: str(o.testFile),
          testName: str(o.testName),
          command: strings(o.command, 32),
          stack: strings(o.stack, MAX_FRAMES),
          pid: int(o.pid),
          startTime: int(o.startTime),
        });
        const pid = int(o.pid);
        const startTime = int(o.startTime);
        if (pid !== undefined && startTime !== undefined) this.#byIdentity.set(`${pid}:${startTime}`, id);
      } else {
        const pid = int(o.pid);
        const startTime = int(o.startTime);
        const r = this.#byId.get(id);
        if (r !== undefined && pid !== undefined) {
          r.pid = pid;
          r.startTime = startTime;
        }
        if (pid !== undefined && startTime !== undefined) this.#byIdentity.set(`${pid}:${startTime}`, id);
      }
    }
  }

  /**
   * Who started process `pid` (with `startTime`): its own record, the id in its
   * environment, or those of its nearest living ancestor below `stopAt` (the guard).
   * Undefined when nothing is found.
   */
  attribute(pid: number, startTime: number, stopAt: number): Provenance | undefined {
    if (this.#byId.size === 0) return undefined;
    // Descriptions of the processes walked through, from the leaked one up, and the ppid of
    // the topmost one (to tell whether the recorded process is its parent).
    const seen: string[] = [];
    let topPpid = -1;
    let cur: { pid: number; startTime: number } | undefined = { pid, startTime };
    for (let depth = 0; cur !== undefined && depth < 64; depth++) {
      const own = this.#byIdentity.get(`${cur.pid}:${cur.startTime}`);
      if (own !== undefined && this.#byId.has(own)) return this.#make(own, depth === 0 ? 'identity' : 'ancestor', seen, true, topPpid);
      const info = readOne(DEFAULT_OPTS, cur.pid, Extra.cmdline)?.info;
      if (info === undefined || info.startTime !== cur.startTime) break;
      seen.push(describe(info.cmdline, info.comm));
      topPpid = info.ppid;
      const env = environId(cur.pid);
      if (env !== undefined && this.#byId.has(env)) return this.#make(env, depth === 0 ? 'environment' : 'ancestor', seen, false, topPpid);
      if (info.ppid <= 1 || info.ppid === stopAt) break;
      const parent = readEntry(DEFAULT_OPTS, info.ppid);
      cur = parent !== undefined && parent.readable ? { pid: parent.pid, startTime: parent.startTime } : undefined;
    }
    return undefined;
  }

  #make(id: string, match: Provenance['match'], seen: readonly string[], byIdentity: boolean, topPpid: number): Provenance {
    const r = this.#byId.get(id) as RawRecord;
    const chain = [describe(r.command, undefined)];
    // Found through the environment: the recorded process is an ancestor of the topmost
    // process walked through; when it is not its parent (or is gone), something in between
    // is not known.
    if (!byIdentity && seen.length > 0 && (r.pid === undefined || r.pid !== topPpid)) chain.push('…');
    chain.push(...[...seen].reverse());
    return Object.freeze({
      id,
      via: r.via,
      testFile: r.testFile,
      testName: r.testName,
      site: userFrame(r.stack),
      command: Object.freeze([...r.command]),
      pid: r.pid,
      startTime: r.startTime,
      chain: Object.freeze(chain),
      match,
    });
  }
}

function describe(cmdline: readonly string[] | undefined, comm: string | undefined): string {
  if (cmdline !== undefined && cmdline.length > 0) {
    const [first, ...rest] = cmdline;
    return [first.includes(' ') ? first : path.basename(first), ...rest].join(' ').slice(0, 80);
  }
  return comm === undefined ? '?' : `[${comm}]`;
}

/** The provenance id in /proc/<pid>/environ, if any (undefined for a zombie or when unreadable). */
function environId(pid: number): string | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
  const prefix = `${PROVENANCE_ENV}=`;
  for (const entry of buf.toString('latin1').split('\0')) {
    if (entry.startsWith(prefix)) {
      const value = entry.slice(prefix.length);
      return /^\d+\.\d+$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * The report with each leaked process's provenance (`null` when unknown), read from `dir`
 * (default `UNIXPROC_PROVENANCE_DIR`). The report as is when there is no directory.
 * @internal
 */
export function attachProvenance<R extends LeakReport>(report: R, dir: string | undefined = process.env[PROVENANCE_DIR_ENV], index?: ProvenanceIndex): R {
  if (dir === undefined || dir === '') return report;
  const ix = index ?? new ProvenanceIndex(dir);
  const add = (list: readonly LeakedProcess[]): readonly LeakedProcess[] =>
    Object.freeze(list.map((p) => Object.freeze({ ...p, provenance: ix.attribute(p.pid, p.startTime, report.guardPid) ?? null })));
  return Object.freeze({ ...report, leaked: add(report.leaked), zombies: add(report.zombies) });
}
