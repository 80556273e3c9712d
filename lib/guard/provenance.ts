/**
 * Provenance of the processes a test run starts: who started each one, from which line.
 *
 * Recording ({@link installProvenance}): every child_process spawn (spawn, exec, execFile,
 * fork and the sync forms) and every unixproc spawn (spawn(), posix_spawn, fork(), system())
 * made in this thread appends one JSON line to `<dir>/<pid>.<nonce>.jsonl`: the line of the call
 * (the first frame outside node_modules, Node and unixproc, from one capture of V8's
 * structured frames), the test file, the current test's name, the command, and the child's
 * identity as its pid and birth window (the clock ticks since boot just before and after the
 * spawn, which its start time falls in: no read of the child's /proc). A spawn that returns
 * at once writes the line after it, a sync form or system() before it. The line is written
 * synchronously, so a worker killed mid-run loses nothing. The child gets
 * `UNIXPROC_PROVENANCE=<id>` in its environment, which every process it starts inherits.
 *
 * Reading ({@link ProvenanceIndex}): a leaked process is attributed to the record of its own
 * identity, else to the id in its /proc/<pid>/environ, else to those of its nearest living
 * ancestor (the walk up the ppid chain covers programs that clear their environment).
 * Nothing found: unknown, never guessed. The files are outside input: malformed lines are
 * skipped, sizes are capped.
 * @internal
 */
import cp = require('node:child_process');
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../native';
import { Extra, procConstants } from '../proc/binding';
import { ticksNow } from '../proc/boot';
import { validateProcfsOptions } from '../proc/options';
import { readEntry, readOne } from '../proc/table';
import type { LeakedProcess, LeakReport } from './report';
import { callSitesUnder, setSpawnProvenanceHook, spawnProvenanceHook, type SpawnProvenanceHook, type SpawnRecord } from '../provenance-hook';

/** The per-run directory the records go to (inherited by a runner's workers). */
export const PROVENANCE_DIR_ENV = 'UNIXPROC_PROVENANCE_DIR';
/** The record id a started process (and everything below it) carries. */
export const PROVENANCE_ENV = 'UNIXPROC_PROVENANCE';

const DEFAULT_OPTS = validateProcfsOptions(undefined);
/** The package's own code (lib/ or dist/), whose frames are never "the line". */
const OWN_ROOTS = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..', 'dist'), path.resolve(__dirname, '..', '..', 'lib')];
const MAX_FRAMES = 32;
/** Read caps: one record line, one file. Bigger lines are skipped, bigger files read up to the cap. */
const MAX_LINE = 64 * 1024;
const MAX_FILE = 64 * 1024 * 1024;
/** A record file's name and a record's id: `<pid>.<nonce>.jsonl`, `<pid>.<nonce>.<n>`. */
const RECORD_FILE = /^\d{1,10}\.[0-9a-f]{8}\.jsonl$/;
const RECORD_ID = /^\d{1,10}\.[0-9a-f]{8}\.\d{1,15}$/;
/** Ticks of slack on each side of a birth window (/proc/uptime's 10 ms resolution, rounding). */
const BIRTH_SLACK = 2;
/**
 * Whether `format` is Node's own stack formatter (Node 20 exposes it as
 * Error.prepareStackTrace; before, there was none). Known by its name: a runner may have
 * put its own in place before this module loaded (Vitest's maps its transformed files).
 */
const isNodeFormatter = (format: (...a: never[]) => unknown): boolean => format.name === 'ErrorPrepareStackTrace';
/** What an installed stack formatter is handed as the error when it formats one frame. */
const FRAME_ERROR = (() => {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Error();
  } finally {
    Error.stackTraceLimit = limit;
  }
})();

/** One stack frame, as V8 printed it. */
export interface ProvenanceFrame {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly function: string | undefined;
}

/** Where a leaked process came from. */
export interface Provenance {
  /** The id of the spawn record (`<pid>.<nonce>.<n>`: the recording process, its recorder, the count). */
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
  /** The recorded process's pid (undefined for a sync form, whose child had exited). */
  readonly pid: number | undefined;
  /** Its start time (clock ticks since boot), when it was found by its identity. */
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
  /**
   * The stack formatter of the realm the tests run in (Jest's sandbox has its own
   * `Error.prepareStackTrace`, with the test files' source maps), to map the chosen frame
   * through; default: this realm's.
   */
  readonly stackFormatter?: ((error: Error, stack: NodeJS.CallSite[]) => unknown) | undefined;
}

interface Recorder {
  readonly dir: string;
  context: () => ProvenanceContext;
  fd: number;
  fdPid: number;
  /**
   * This recorder's own part of every id and file name: the threads of one process (a
   * preload runs in every worker thread) and a later process with a recycled pid each have
   * their own, so no two records share an id.
   */
  nonce: string;
  /** The process the nonce was drawn in (a fork() child draws its own). */
  noncePid: number;
  n: number;
  /** The last test seen, and its part of a record line (encoded once per test). */
  testFile: string | undefined;
  testName: string | undefined;
  testJson: string | undefined;
  /** The shared mapping of the record file being filled, where it starts in the file, how much is used. */
  map: Buffer | undefined;
  mapOffset: number;
  mapAt: number;
  mapFailed: boolean;
  readonly restore: () => void;
}

const RECORDER = Symbol.for('unixproc.provenanceRecorder.v1');
type Global = Record<symbol, Recorder | undefined>;

/**
 * The first mapping of a record file, and the most one grows by (it doubles up to this):
 * multiples of the page size, so that every mapping's offset is one (64 KiB pages too).
 */
const MAP_MOST = 1024 * 1024;
let mapFirst = 0;
function firstMapping(): number {
  if (mapFirst === 0) mapFirst = Math.max(16 * 1024, procConstants().pageSize);
  return mapFirst;
}

interface RecordMapBinding {
  recordMap(fd: number, offset: number, length: number): ArrayBuffer | number;
}

/**
 * Maps the next part of the record file, at least `bytes` long, after the current one;
 * false when it cannot be (no addon, a filesystem that cannot reserve blocks, a full disk,
 * a runtime without external buffers): the records are written from then on.
 */
function mapNext(rec: Recorder, bytes: number): boolean {
  if (rec.mapFailed) return false;
  try {
    const first = firstMapping();
    // A file that already holds something (it should not: its name is this recorder's) is
    // appended to, from the next whole part.
    const offset = rec.map === undefined ? Math.ceil(fs.fstatSync(rec.fd).size / first) * first : rec.mapOffset + rec.map.length;
    let length = rec.map === undefined ? first : Math.min(rec.map.length * 2, Math.max(MAP_MOST, first));
    while (length < bytes) length += MAP_MOST;
    const r = native<RecordMapBinding>().recordMap(rec.fd, offset, length);
    if (typeof r === 'number') throw new Error(String(r));
    rec.map = Buffer.from(r);
    rec.mapOffset = offset;
    rec.mapAt = 0;
    return true;
  } catch {
    rec.mapFailed = true;
    rec.map = undefined;
    return false;
  }
}

/**
 * Copies one record line into the shared mapping of the record file (no system call; the
 * page cache keeps it if this process is killed); false when there is no mapping (then
 * {@link write} writes it). The file's unused mapped tail reads as NUL bytes, which the
 * reader skips.
 */
function place(rec: Recorder, line: string): boolean {
  try {
    if (rec.fdPid !== process.pid) {
      // First record, or after a fork(): one file per process (the parent's mapping is not
      // this process's to write).
      rec.fd = fs.openSync(path.join(rec.dir, `${process.pid}.${rec.nonce}.jsonl`), 'a+');
      rec.fdPid = process.pid;
      rec.map = undefined;
      rec.mapFailed = false;
    }
    // A UTF-16 unit is at most 3 bytes of UTF-8: a line that surely fits is copied as is.
    const room = rec.map === undefined ? -1 : rec.map.length - rec.mapAt;
    if (room >= line.length * 3 || (room >= 0 && room >= Buffer.byteLength(line)) || mapNext(rec, Buffer.byteLength(line))) {
      rec.mapAt += copyLine(rec.map as Buffer, rec.mapAt, line);
      return true;
    }
  } catch {
    // A run directory removed under us must not make the spawn fail: the record is lost.
  }
  return false;
}

/**
 * Copies `line` into `map` at `at` (room checked by the caller): byte by byte while it is
 * ASCII (no call out of JS, which costs more than the copy right after a spawn, when
 * nothing is in the caches), Buffer.write for the rest. The bytes copied.
 */
function copyLine(map: Buffer, at: number, line: string): number {
  const n = line.length;
  let i = 0;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c >= 0x80) break;
    map[at + i] = c;
  }
  return i === n ? n : i + map.write(line.slice(i), at + i);
}

/** Appends one record line: into the mapping, else with a write(2). */
function write(rec: Recorder, line: string): void {
  if (place(rec, line) || rec.fdPid !== process.pid) return;
  try {
    fs.writeSync(rec.fd, line);
  } catch {
    // as above
  }
}

/**
 * A record's line without its end (`pid`, `born`, the closing brace), as JSON.stringify of
 * the record would print it, built by hand: the test's part is encoded once per test, a
 * file's name once per file (right after a spawn every step costs several times what it
 * costs warm, so fewer steps is what makes recording cheap).
 */
function recordHead(rec: Recorder, id: string, via: string, ctx: ProvenanceContext, command: readonly string[], site: ProvenanceFrame | undefined): string {
  const q = JSON.stringify;
  let test = rec.testJson;
  if (test === undefined || rec.testFile !== ctx.testFile || rec.testName !== ctx.testName) {
    test = (typeof ctx.testFile !== 'string' ? '' : `,"testFile":${q(ctx.testFile)}`) + (typeof ctx.testName !== 'string' ? '' : `,"testName":${q(ctx.testName)}`);
    rec.testFile = ctx.testFile;
    rec.testName = ctx.testName;
    rec.testJson = test;
  }
  let at = '';
  if (site !== undefined) {
    at = `,"site":{"file":${fileJson(site.file)},"line":${site.line},"column":${site.column}${site.function === undefined ? '' : `,"function":${q(site.function)}`}}`;
  }
  return `{"id":"${id}","via":${q(via)}${test},"command":${q(command)}${at}`;
}

/** Files' JSON, once each (a run's spawns come from a few files). */
const FILE_JSON = new Map<string, string>();

function fileJson(file: string): string {
  let json = FILE_JSON.get(file);
  if (json === undefined) {
    json = JSON.stringify(file);
    if (FILE_JSON.size >= 1024) FILE_JSON.clear();
    FILE_JSON.set(file, json);
  }
  return json;
}

/** V8's structured stack frame (the parts used here). */
interface CallSite {
  getFileName(): string | null | undefined;
  getFunctionName(): string | null;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}

/** The line of a spawn and the API it went through, from one stack capture. */
interface Site {
  readonly site: ProvenanceFrame | undefined;
  readonly via: string | undefined;
}

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const OWN_PREFIXES = OWN_ROOTS.map((r) => r + path.sep);

function isOwnOrDependency(file: string): boolean {
  if (file.includes(NODE_MODULES)) return true;
  for (let i = 0; i < OWN_ROOTS.length; i++) if (file === OWN_ROOTS[i] || file.startsWith(OWN_PREFIXES[i])) return true;
  return false;
}

/** A frame's file as an absolute path, or undefined (node: internals, eval, no file). */
function frameFile(name: string | null | undefined): string | undefined {
  if (typeof name !== 'string' || name === '') return undefined;
  let file = name;
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file);
    } catch {
      return undefined;
    }
  }
  return path.isAbsolute(file) ? file : undefined;
}

/**
 * The first frame outside node_modules, Node's internals and unixproc, and the outermost
 * node:child_process function before it (the API the caller used). One capture of V8's
 * structured frames; only the chosen frame is formatted, through the stack formatter that
 * is installed (source-map-support under Jest, Vitest's), so that a transpiled file still
 * gets its source's line. With Node's own --enable-source-maps (no formatter to hand a
 * single frame to), the whole stack is formatted as Node does and parsed.
 */
function captureSite(formatter: ProvenanceContext['stackFormatter'], below: Frame, sites: readonly NodeJS.CallSite[]): Site {
  let format: ProvenanceContext['stackFormatter'] = typeof formatter === 'function' ? formatter : Error.prepareStackTrace;
  const sourceMaps = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
  // Node's own formatter (Node 20 exposes it as Error.prepareStackTrace) maps positions
  // only under --enable-source-maps: otherwise the frame is read as is, unformatted.
  if (format !== undefined && !sourceMaps && isNodeFormatter(format)) format = undefined;
  if (format === undefined && sourceMaps) {
    const stack = captureStack(below);
    return { site: userFrame(stack), via: viaFromStack(stack) };
  }
  // A spawn's line is mostly a few frames down (the API's own frames, then the caller's):
  // a short capture first, a deep one only when it held no line (V8's cost is per frame).
  const short = siteIn(sites as readonly CallSite[], format);
  return short.site !== undefined ? short : siteIn(callSitesUnder(below, MAX_FRAMES) as readonly CallSite[], format);
}

/** The first frame of `frames` outside node_modules, Node and unixproc, in one pass. */
function siteIn(frames: readonly CallSite[], format: ProvenanceContext['stackFormatter']): Site {
  let via: string | undefined;
  for (const cs of frames) {
    const name = cs.getFileName();
    if (name === 'node:child_process') {
      const fn = cs.getFunctionName();
      if (fn !== null && fn !== '') via = `child_process.${fn.slice(fn.lastIndexOf('.') + 1)}`;
      continue;
    }
    const file = frameFile(name);
    if (file === undefined || isOwnOrDependency(file)) continue;
    let site: ProvenanceFrame | undefined;
    if (format !== undefined) {
      // The installed formatter maps the position (a source map); it prints V8's form.
      try {
        const text = format(FRAME_ERROR, [cs as unknown as NodeJS.CallSite]);
        if (typeof text === 'string') site = parseFrame(text.slice(text.lastIndexOf('\n') + 1).trim());
      } catch {
        site = undefined;
      }
    }
    if (site === undefined) {
      const line = cs.getLineNumber();
      const column = cs.getColumnNumber();
      if (line === null || column === null) continue;
      const fn = cs.getFunctionName();
      site = { file, line, column, function: fn === null || fn === '' ? undefined : fn };
    }
    return { site, via };
  }
  return { site: undefined, via };
}

function captureStack(below: Frame): string[] {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = MAX_FRAMES;
  const holder: { stack?: string } = {};
  try {
    Error.captureStackTrace(holder, below);
  } finally {
    Error.stackTraceLimit = saved;
  }
  const text = typeof holder.stack === 'string' ? holder.stack : '';
  return text.split('\n').slice(1).map((l) => l.trim());
}

/** The API name from a formatted stack: the outermost node:child_process frame before the line. */
function viaFromStack(stack: readonly string[]): string | undefined {
  let via: string | undefined;
  for (const l of stack) {
    const m = /^at (?:new )?([\w$.]+) \(node:child_process:/.exec(l);
    if (m !== null) via = `child_process.${m[1].replace(/^.*\./, '')}`;
    else if (parseFrame(l) !== undefined && !isOwnOrDependency((parseFrame(l) as ProvenanceFrame).file)) break;
  }
  return via;
}

/** The birth window of a child started now: clock ticks since boot, with a few ticks of slack. */
function ticks(): number {
  try {
    return ticksNow(procConstants().clkTck);
  } catch {
    return NaN; // no addon here (node --no-addons): no birth window, the environment still tells
  }
}

// eslint-disable-next-line @typescript-eslint/ban-types
type Frame = Function;

/**
 * Records one spawn. `below` is the outermost of the spawning API's own functions on the
 * stack (the hook point, the patched child_process function): the capture of `limit`
 * frames starts under it.
 *
 * A spawn that returns once its child has exec'd (the asynchronous forms, spawn(), fork())
 * is recorded after it, in its `done`: the stack is still the caller's then, and the work
 * runs while the new child starts on another CPU, not before the spawn, on the path to it.
 * The record is written before the spawn call returns, so a worker killed after it loses
 * nothing. One that may take long (a sync form, system()) is recorded before it, so that a
 * worker killed meanwhile does not lose it.
 */
function begin(rec: Recorder, via: string, argv: readonly (string | Buffer)[], deferred: boolean, below: Frame, limit: number): SpawnRecord {
  if (rec.noncePid !== process.pid) {
    // A fork() child: ids and a file of its own (a later child with a recycled pid must
    // not write into an earlier one's file nor repeat its ids).
    rec.nonce = randomBytes(4).toString('hex');
    rec.noncePid = process.pid;
  }
  const id = `${process.pid}.${rec.nonce}.${++rec.n}`;
  const entry = `${PROVENANCE_ENV}=${id}`;
  if (!deferred) {
    write(rec, `${recordOf(rec, id, via, argv, below, callSitesUnder(below, limit))}}\n`);
    return { entry, done: () => undefined };
  }
  const before = ticks();
  return {
    entry,
    done(pid: number): void {
      if (!(pid > 0)) return; // the spawn failed: no child to record
      try {
        // Captured first, here: V8 walks every frame above `below` too.
        const head = recordOf(rec, id, via, argv, below, callSitesUnder(below, limit));
        const after = ticks();
        const born = Number.isFinite(before) && Number.isFinite(after) ? `,"born":[${Math.floor(before) - BIRTH_SLACK},${Math.ceil(after) + BIRTH_SLACK}]` : '';
        write(rec, `${head},"pid":${pid}${born}}\n`);
      } catch {
        // Recording must never fail a spawn: this one goes unrecorded (its environment still tells).
      }
    },
  };
}

/** A record's line up to its end: the test, the line of the call, the command. */
function recordOf(rec: Recorder, id: string, via: string, argv: readonly (string | Buffer)[], below: Frame, sites: readonly NodeJS.CallSite[]): string {
  let ctx: ProvenanceContext = { testFile: undefined, testName: undefined };
  try {
    ctx = rec.context();
  } catch {
    // The runner's state could not be read: the file and test stay unknown.
  }
  const at = captureSite(ctx.stackFormatter, below, sites);
  const command: string[] = [];
  for (let i = 0; i < argv.length && i < 32; i++) {
    const arg = typeof argv[i] === 'string' ? (argv[i] as string) : argv[i].toString();
    command.push(arg.length > 512 ? arg.slice(0, 512) : arg);
  }
  return recordHead(rec, id, at.via ?? via, ctx, command, at.site);
}

/**
 * {@link begin}, or undefined when recording fails (an unwritable run directory is already
 * absorbed by write(); this is for anything else): the spawn then runs as it would have.
 */
function safeBegin(...args: Parameters<typeof begin>): SpawnRecord | undefined {
  try {
    return begin(...args);
  } catch {
    return undefined;
  }
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
  const rec: Recorder = { dir, context, fd: -1, fdPid: -1, nonce: randomBytes(4).toString('hex'), noncePid: process.pid, n: 0, testFile: undefined, testName: undefined, testJson: undefined, map: undefined, mapOffset: 0, mapAt: 0, mapFailed: false, restore: () => undefined };
  const restore = patchChildProcess(rec);
  const hook: SpawnProvenanceHook = { begin: (via, argv, below, limit) => safeBegin(rec, via, argv, via !== 'unixproc.system', below, limit) };
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
  rec.map = undefined; // unmapped when collected
  rec.fd = -1;
  rec.fdPid = -1;
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

/** `env` with the record's entry over it, as its own key (the rest inherited). */
function withEntry(env: NodeJS.ProcessEnv, value: string): NodeJS.ProcessEnv {
  // Defined, not assigned: an assignment goes through the prototype's set trap where it is
  // a Proxy (Jest's sandbox process.env is one), and would set the key there.
  const own: PropertyDescriptorMap = { [PROVENANCE_ENV]: { value, enumerable: true, writable: true, configurable: true } };
  // Node copies this process's NODE_V8_COVERAGE into a child's env unless the env has it
  // as its own key (copyProcessEnvToEnv): an own key stays own, even undefined.
  const coverage = 'NODE_V8_COVERAGE';
  if (Object.prototype.hasOwnProperty.call(env, coverage)) own[coverage] = { value: env[coverage], enumerable: true, writable: true, configurable: true };
  return Object.create(env, own) as NodeJS.ProcessEnv;
}

/** Whether Node would take `env` as an environment object (it takes `options.env || process.env`). */
const isEnvObject = (env: unknown): env is NodeJS.ProcessEnv => (typeof env === 'object' && env !== null) || typeof env === 'function';

function patchChildProcess(rec: Recorder): () => void {
  // Every asynchronous form (spawn, exec, execFile, fork) builds a ChildProcess and calls
  // its spawn() with the normalized options, envPairs included.
  const proto = (cp.ChildProcess as unknown as { prototype: { spawn(this: cp.ChildProcess, o: SpawnOptionsInternal): unknown } }).prototype;
  const originalSpawn = proto.spawn;
  const prefix = `${PROVENANCE_ENV}=`;
  // Uninstalling must not undo what wrapped these functions after us (lib/os/foreign-children
  // wraps ChildProcess.prototype.spawn on first use, and would lose every child_process child
  // of this process from then on): a wrapper that is no longer on top is only switched off.
  let active = true;
  const spawn = function spawn(this: cp.ChildProcess, options: SpawnOptionsInternal): unknown {
    if (!active || options === null || typeof options !== 'object' || !Array.isArray(options.envPairs)) return originalSpawn.call(this, options);
    const r = safeBegin(rec, 'child_process.spawn', Array.isArray(options.args) ? options.args : [String(options.file)], true, spawn, 4);
    if (r === undefined) return originalSpawn.call(this, options);
    options.envPairs = options.envPairs.filter((e) => typeof e !== 'string' || !e.startsWith(prefix));
    options.envPairs.push(r.entry);
    const result = originalSpawn.call(this, options);
    if (typeof this.pid === 'number' && this.pid > 0) r.done(this.pid);
    return result;
  };
  proto.spawn = spawn;
  // The sync forms go through an internal binding: wrap the exports, and give the child the
  // entry through its env option (or process.env during the call, when it has none).
  const mod = cp as unknown as Record<string, (...a: unknown[]) => unknown>;
  const originals: Record<string, (...a: unknown[]) => unknown> = {};
  const wrappers: Record<string, (...a: unknown[]) => unknown> = {};
  for (const name of ['spawnSync', 'execSync', 'execFileSync']) {
    const original = mod[name];
    originals[name] = original;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      if (!active) return original.apply(this, args);
      const command: string[] = [];
      for (const a of args) {
        if (typeof a === 'string') command.push(a);
        else if (Array.isArray(a)) for (const x of a) command.push(String(x));
      }
      const r = safeBegin(rec, `child_process.${name}`, command, false, wrapped, 1);
      if (r === undefined) return original.apply(this, args);
      const value = r.entry.slice(prefix.length);
      // The options object is the last object argument (after an args array, if any).
      let at = -1;
      for (let i = 1; i < args.length; i++) {
        const a = args[i];
        if (a !== null && typeof a === 'object' && !Array.isArray(a)) at = i;
      }
      const opts = at === -1 ? undefined : (args[at] as { env?: NodeJS.ProcessEnv | null });
      // The entry goes into an environment whose prototype is the one the call would have
      // used (Node takes the inherited keys too, "intentionally": normalizeSpawnArguments),
      // so that neither it nor process.env is copied or changed.
      let call = args;
      const base = opts === undefined ? undefined : opts.env || process.env;
      if (opts !== undefined && isEnvObject(base)) {
        call = [...args];
        call[at] = { ...opts, env: withEntry(base, value) };
      } else if (opts === undefined && (args.length === 1 || (args.length === 2 && (args[1] === undefined || Array.isArray(args[1]))))) {
        call = name === 'execSync' ? [args[0], { env: withEntry(process.env, value) }] : [args[0], args[1] ?? [], { env: withEntry(process.env, value) }];
      } else {
        const saved = process.env[PROVENANCE_ENV];
        process.env[PROVENANCE_ENV] = value;
        try {
          return original.apply(this, args);
        } finally {
          if (saved === undefined) delete process.env[PROVENANCE_ENV];
          else process.env[PROVENANCE_ENV] = saved;
        }
      }
      // No identity line: the child has exited, its pid names nothing any more. What it
      // left carries the id in its environment.
      return original.apply(this, call);
    };
    Object.defineProperty(wrapped, 'name', { value: name });
    wrappers[name] = wrapped;
    mod[name] = wrapped;
  }
  syncBuiltinESMExports();
  return () => {
    active = false;
    if (proto.spawn === spawn) proto.spawn = originalSpawn;
    for (const [name, original] of Object.entries(originals)) if (mod[name] === wrappers[name]) mod[name] = original;
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
  site: ProvenanceFrame | undefined;
  pid: number | undefined;
  /** The recorded child's birth window in clock ticks since boot, inclusive. */
  born: readonly [number, number] | undefined;
}

const str = (v: unknown, max = 4096): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
const strings = (v: unknown, n: number): string[] =>
  Array.isArray(v) ? v.slice(0, n).filter((x): x is string => typeof x === 'string').map((x) => x.slice(0, 4096)) : [];

/** A record's `site`: an absolute file, positive line and column; else undefined. */
function siteOf(v: unknown): ProvenanceFrame | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const file = str(o.file);
  const line = int(o.line);
  const column = int(o.column);
  if (file === undefined || !path.isAbsolute(file) || line === undefined || line === 0 || column === undefined) return undefined;
  return { file, line, column, function: str(o.function, 256) };
}

/** A record's `born`: two tick counts, lo <= hi, at most a minute apart; else undefined. */
function bornOf(v: unknown): readonly [number, number] | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const lo = int(v[0]);
  const hi = int(v[1]);
  if (lo === undefined || hi === undefined || hi < lo || hi - lo > 6000) return undefined;
  return [lo, hi];
}

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
  /** Record ids by the recorded child's pid (with its birth window, in the record). */
  readonly #byPid = new Map<number, string[]>();

  /** Reads every `*.jsonl` of `dir`; a missing or unreadable directory gives an empty index. */
  constructor(dir: string | undefined) {
    if (dir === undefined) return;
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((n) => RECORD_FILE.test(n));
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
    // A mapped file's unused tail, and the rest of a part left for the next one, are NUL bytes.
    for (const line of text.split(/[\n\0]+/)) {
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
      const pid = int(o.pid) === 0 ? undefined : int(o.pid);
      const record: RawRecord = {
        via: str(o.via, 64) ?? 'unknown',
        testFile: str(o.testFile),
        testName: str(o.testName),
        command: strings(o.command, 32),
        site: siteOf(o.site),
        pid,
        born: pid === undefined ? undefined : bornOf(o.born),
      };
      if (this.#byId.has(id)) continue; // one record per id: the first one read
      this.#byId.set(id, record);
      if (pid !== undefined && record.born !== undefined) {
        const list = this.#byPid.get(pid);
        if (list === undefined) this.#byPid.set(pid, [id]);
        else list.push(id);
      }
    }
  }

  /** The record of the process `pid` born at `startTime` (ticks), if one was made. */
  #recordOf(pid: number, startTime: number): string | undefined {
    const ids = this.#byPid.get(pid);
    if (ids === undefined) return undefined;
    for (const id of ids) {
      const born = (this.#byId.get(id) as RawRecord).born as readonly [number, number];
      if (startTime >= born[0] && startTime <= born[1]) return id;
    }
    return undefined;
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
      const own = this.#recordOf(cur.pid, cur.startTime);
      if (own !== undefined) return this.#make(own, depth === 0 ? 'identity' : 'ancestor', seen, true, topPpid, cur.startTime);
      const info = readOne(DEFAULT_OPTS, cur.pid, Extra.cmdline)?.info;
      if (info === undefined || info.startTime !== cur.startTime) break;
      seen.push(describe(info.cmdline, info.comm));
      topPpid = info.ppid;
      const env = environId(cur.pid);
      if (env !== undefined && this.#byId.has(env)) return this.#make(env, depth === 0 ? 'environment' : 'ancestor', seen, false, topPpid, undefined);
      if (info.ppid <= 1 || info.ppid === stopAt) break;
      const parent = readEntry(DEFAULT_OPTS, info.ppid);
      cur = parent !== undefined && parent.readable ? { pid: parent.pid, startTime: parent.startTime } : undefined;
    }
    return undefined;
  }

  #make(id: string, match: Provenance['match'], seen: readonly string[], byIdentity: boolean, topPpid: number, startTime: number | undefined): Provenance {
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
      site: r.site === undefined ? undefined : Object.freeze({ ...r.site }),
      command: Object.freeze([...r.command]),
      pid: r.pid,
      startTime,
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
      return RECORD_ID.test(value) ? value : undefined;
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

/** A provenance run directory, and whether this process made it (and so removes it). */
export interface ProvenanceRunDir {
  readonly dir: string;
  readonly owned: boolean;
}

/**
 * The run directory to record into: the one inherited in `UNIXPROC_PROVENANCE_DIR` when an
 * outer guard made it (`unixproc guard -- npx jest`: the outer report then sees what the
 * runner's workers recorded), else a new one this process owns. An inherited value is
 * used only when it is an absolute path to a real directory (not a symlink) owned by this
 * user; anything else is replaced. Sets `UNIXPROC_PROVENANCE_DIR` for what this process starts.
 * @internal
 */
export function provenanceRunDir(): ProvenanceRunDir {
  const inherited = process.env[PROVENANCE_DIR_ENV];
  if (inherited !== undefined && path.isAbsolute(inherited)) {
    try {
      const st = fs.lstatSync(inherited);
      if (st.isDirectory() && st.uid === process.getuid?.()) return { dir: inherited, owned: false };
    } catch {
      // gone, or not ours to see: make one
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-provenance-'));
  process.env[PROVENANCE_DIR_ENV] = dir;
  return { dir, owned: true };
}

/**
 * Removes a run directory this process made; leaves an inherited one to its maker. Best
 * effort: a survivor that still records (--no-kill) may add a file while it is removed.
 * @internal
 */
export function removeProvenanceRunDir(run: ProvenanceRunDir | undefined): void {
  if (run === undefined || !run.owned) return;
  if (process.env[PROVENANCE_DIR_ENV] === run.dir) delete process.env[PROVENANCE_DIR_ENV];
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.rmSync(run.dir, { recursive: true, force: true });
      return;
    } catch {
      // ENOTEMPTY from a file added meanwhile: again
    }
  }
}
