/**
 * run(): Python's subprocess.run for Node: start, feed, collect, wait, check.
 */
import type { Readable } from 'node:stream';
import { invalidArgType, invalidArgValue } from '../errors';
import type { ExitStatus } from '../exit-status';
import { optionKeys, validateCommand, validateCString, validateOptions } from '../validate';
import { AbortError, CalledProcessError, TimeoutExpiredError, type Captured } from './errors';
import { spawnAsync } from './spawn';
import { SPAWN_OPTION_KEYS, SPAWN_RENAMED_OPTIONS, type SpawnOptions, type StdioOption } from './options';

/** Options of {@link run}: those of {@link spawn}, plus: */
export interface RunOptions extends SpawnOptions {
  /** Written to the child's stdin (a pipe), which is then closed. Cannot be combined with an explicit `stdio[0]`. */
  readonly input?: string | Uint8Array;
  /**
   * Collect stdout and stderr: `'text'` (or `true`) as strings (UTF-8, see `encoding`),
   * `'buffer'` as Buffers. Default false: they follow `stdio`. Cannot be combined with an
   * explicit `stdio[1]` or `stdio[2]`.
   */
  readonly capture?: boolean | 'text' | 'buffer';
  /** The encoding of captured text (default `'utf8'`). */
  readonly encoding?: BufferEncoding;
  /** Reject with a {@link CalledProcessError} unless the child exits with code 0. */
  readonly check?: boolean;
}

/**
 * What {@link run} resolves to. `Output` is what `capture` makes of stdout and stderr:
 * `string` (`capture: true` or `'text'`), `Buffer` (`'buffer'`), `null` (not captured).
 */
export interface RunResult<Output extends Captured = Captured> {
  /** The command: `[file, ...args]`. */
  readonly args: readonly string[];
  /** How the child ended. */
  readonly status: ExitStatus;
  /** Captured stdout (`null` when not captured). */
  readonly stdout: Output;
  /** Captured stderr (`null` when not captured). */
  readonly stderr: Output;
}

function collect(stream: Readable | null): { done: Promise<void>; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  if (stream === null) return { done: Promise.resolve(), chunks };
  const done = new Promise<void>((resolve) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => undefined); // the status tells what happened
    stream.on('close', () => resolve());
  });
  return { done, chunks };
}

const RUN_OPTION_KEYS: readonly (keyof RunOptions & string)[] = [
  ...SPAWN_OPTION_KEYS,
  ...optionKeys<Omit<RunOptions, keyof SpawnOptions>>({ input: true, capture: true, encoding: true, check: true }),
];

const STREAM_NAMES = ['stdin', 'stdout', 'stderr'];

/**
 * The child's stdio for run(), as Python's subprocess.run decides it: `input` makes stdin a
 * pipe, `capture` stdout and stderr; run reads and writes those pipes and no other. So a
 * `'pipe'` that run would not consume (the child would block on it forever) is rejected,
 * and so is an explicit `stdio[0]` with `input`, or `stdio[1]`/`stdio[2]` with `capture`
 * (Python's ValueError for `stdin` with `input`, `stdout` with `capture_output`). A single
 * value is the default of every stream that `input`/`capture` do not take.
 */
function runStdio(given: unknown, input: boolean, capture: boolean): [StdioOption, StdioOption, StdioOption] {
  const taken = [input, capture, capture];
  const takenBy = ['options.input', 'options.capture', 'options.capture'];
  const explicit = Array.isArray(given);
  if (explicit && given.length > 3) {
    throw invalidArgValue('options.stdio', given, 'must have at most 3 entries (stdin, stdout, stderr)');
  }
  const out: StdioOption[] = [];
  for (let i = 0; i < 3; i++) {
    const name = explicit ? `options.stdio[${i}]` : 'options.stdio';
    const value: unknown = explicit ? (given as unknown[])[i] : given;
    if (taken[i]) {
      if (explicit && value !== undefined) {
        throw invalidArgValue(name, value, `cannot be given together with ${takenBy[i]}, which makes ${STREAM_NAMES[i]} a pipe`);
      }
      out.push('pipe');
    } else if (value === 'pipe') {
      throw invalidArgValue(
        name,
        value,
        `must not be 'pipe' in run(), which would never ${i === 0 ? 'write' : 'read'} it (the child could block ` +
          `forever): use ${takenBy[i]} to ${i === 0 ? 'feed stdin' : 'collect stdout and stderr'}`,
      );
    } else {
      out.push(value === undefined || value === null ? 'inherit' : (value as StdioOption));
    }
  }
  return out as [StdioOption, StdioOption, StdioOption];
}

/**
 * Runs `file` with `args` to completion: writes `input`, collects the output, waits, and
 * resolves `{ args, status, stdout, stderr }`, as Python's `subprocess.run`. Never blocks
 * the event loop: the child is made on the library's spawn thread, as by {@link spawnAsync}.
 * @param file - the program, searched in PATH as by {@link spawn}.
 * @param args - its arguments (not including argv[0]).
 * @param options - {@link RunOptions}; `timeout`, `killSignal`, `killGracePeriod` and
 *   `signal` kill the child as in {@link spawn}, and the promise settles once it is reaped.
 * @throws (rejects) every error of {@link spawnAsync} (ENOENT with path..., EAGAIN when
 *   1024 spawns are already queued);
 *   {@link CalledProcessError} with `check` when the child did not exit 0;
 *   {@link TimeoutExpiredError} after `timeout` (the child killed and reaped, partial output
 *   attached); AbortError when `signal` aborted (the child killed and reaped);
 *   ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for bad arguments, including a `'pipe'`
 *   in `stdio` that run would not consume (use `input` / `capture`), `input` with an
 *   explicit `stdio[0]`, `capture` with an explicit `stdio[1]`/`stdio[2]`, or more than 3
 *   `stdio` entries; ERR_INVALID_ARG_VALUE for an array as `file` (the former
 *   `run([file, ...args])`).
 * @see docs/spawning.md, docs/conventions.md
 */
export function run(
  file: string,
  args: readonly string[] | undefined,
  options: RunOptions & { readonly capture: true | 'text' },
): Promise<RunResult<string>>;
/** {@link run} with `capture: 'buffer'`: `stdout` and `stderr` are Buffers. */
export function run(
  file: string,
  args: readonly string[] | undefined,
  options: RunOptions & { readonly capture: 'buffer' },
): Promise<RunResult<Buffer>>;
/** {@link run} without `capture`: `stdout` and `stderr` are `null` (the streams follow `stdio`). */
export function run(
  file: string,
  args?: readonly string[],
  options?: RunOptions & { readonly capture?: false },
): Promise<RunResult<null>>;
/** {@link run} with a `capture` known only at run time: `string`, `Buffer` or `null`. */
export function run(file: string, args?: readonly string[], options?: RunOptions): Promise<RunResult>;
export async function run(file: string, args?: readonly string[], options?: RunOptions): Promise<RunResult> {
  if (Array.isArray(file)) {
    throw invalidArgValue('file', file, 'must be the program: run(file, args, options) replaced run([file, ...args]) (see docs/conventions.md)');
  }
  // A string (not a Buffer, as spawn also takes): the command is reported as strings.
  const command = validateCommand(validateCString(file, 'file', false), args);
  const argv = [command.file as string, ...command.args];
  const o = validateOptions<RunOptions>(options, 'options', RUN_OPTION_KEYS, SPAWN_RENAMED_OPTIONS);
  const { input, capture = false, encoding = 'utf8', check = false, ...spawnOptions } = o;
  if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw invalidArgType('options.input', 'of type string or an instance of Buffer or Uint8Array', input);
  }
  if (capture !== true && capture !== false && capture !== 'text' && capture !== 'buffer') {
    throw invalidArgValue('options.capture', capture, "must be a boolean, 'text' or 'buffer'");
  }
  if (typeof encoding !== 'string' || !Buffer.isEncoding(encoding)) {
    throw invalidArgValue('options.encoding', encoding, 'must be a Buffer encoding');
  }
  if (typeof check !== 'boolean') throw invalidArgType('options.check', 'of type boolean', check);

  const stdio = runStdio(spawnOptions.stdio, input !== undefined, capture !== false);

  // Off the event loop's thread (spawnAsync): run() returns a promise in any case.
  const child = await spawnAsync(command.file, command.args, { ...spawnOptions, stdio });
  const out = collect(capture !== false ? child.stdout : null);
  const err = collect(capture !== false ? child.stderr : null);
  if (input !== undefined && child.stdin !== null) {
    child.stdin.on('error', () => undefined); // EPIPE: the child did not read it all
    child.stdin.end(input);
  }

  const status = await child.wait();
  if (child.terminationReason !== undefined) {
    // Killed: a grandchild may still hold the pipes; do not wait for it.
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
  await Promise.all([out.done, err.done]);
  const decode = (chunks: Buffer[]): Captured => {
    if (capture === false) return null;
    const b = Buffer.concat(chunks);
    return capture === 'buffer' ? b : b.toString(encoding);
  };
  const stdout = decode(out.chunks);
  const stderr = decode(err.chunks);

  if (child.terminationReason === 'timeout') {
    throw new TimeoutExpiredError(argv, spawnOptions.timeout ?? 0, status, stdout, stderr);
  }
  if (child.terminationReason === 'abort') {
    throw new AbortError(undefined, { cause: spawnOptions.signal?.reason });
  }
  if (check && !(status.kind === 'exited' && status.code === 0)) {
    throw new CalledProcessError(argv, status, stdout, stderr);
  }
  return { args: argv, status, stdout, stderr };
}
