/**
 * `unixproc/jest/environment`: a Jest `testEnvironment` (Jest's node environment, plus the
 * leak guard's per-file check). With `unixproc/jest/global-setup` and `global-teardown`:
 *
 * ```js
 * // jest.config.js
 * module.exports = {
 *   globalSetup: 'unixproc/jest/global-setup',
 *   globalTeardown: 'unixproc/jest/global-teardown',
 *   testEnvironment: 'unixproc/jest/environment',
 *   testEnvironmentOptions: { leakCheck: 'fail' }, // or 'warn', or 'kill'
 * };
 * ```
 *
 * Every process a test starts (child_process, unixproc's spawn...) is recorded with the
 * test file, the test's name and the stack of the call (lib/guard/provenance.ts). When the
 * file's tests and all its hooks are done (jest-circus's `run_finish` event, after the
 * file's own `afterAll`), the processes attributed to this file that are still there are
 * reported; `'fail'` (default) ends them and fails the file (its own result, with the
 * report as its error), `'kill'` ends them and only reports, `'warn'` only reports.
 * See docs/leak-guard.md.
 * @packageDocumentation
 * @module unixproc/jest/environment
 */
import * as path from 'node:path';
import { invalidArgValue } from '../../errors';
import { runFileCheck, validateLeakCheckMode, type LeakCheckMode } from '../../guard/file-check';
import { installProvenance } from '../../guard/provenance';

/** What this environment reads of Jest's config (Jest 27 to 30 shapes). */
interface EnvConfig {
  readonly projectConfig?: { readonly testEnvironmentOptions?: Record<string, unknown>; readonly rootDir?: string };
  readonly testEnvironmentOptions?: Record<string, unknown>;
  readonly rootDir?: string;
}

interface EnvContext {
  readonly testPath?: string;
}

/** A jest-circus block or test: its name and its parent. */
interface CircusNode {
  readonly name: string;
  readonly parent?: CircusNode;
}

interface CircusEvent {
  readonly name: string;
  readonly test?: CircusNode;
  readonly hook?: { readonly type: string; readonly parent?: CircusNode };
}

interface CircusState {
  readonly unhandledErrors: unknown[];
}

type EnvironmentClass = new (config: unknown, context: unknown) => {
  setup(): Promise<void>;
  teardown(): Promise<void>;
  handleTestEvent?(event: unknown, state: unknown): unknown;
  /** The sandbox's global (jest-environment-node's `global`). */
  global?: unknown;
};

/** jest-environment-node as the project's Jest has it (resolved from the project first). */
function baseEnvironment(): EnvironmentClass {
  let resolved: string;
  try {
    resolved = require.resolve('jest-environment-node', { paths: [process.cwd()] });
  } catch {
    resolved = require.resolve('jest-environment-node');
  }
  const mod = require(resolved) as { default?: EnvironmentClass; TestEnvironment?: EnvironmentClass } & EnvironmentClass;
  return mod.TestEnvironment ?? mod.default ?? mod;
}

const ROOT_BLOCK = 'ROOT_DESCRIBE_BLOCK';

function fullName(node: CircusNode | undefined): string[] {
  const names: string[] = [];
  for (let n = node; n !== undefined && n.name !== ROOT_BLOCK; n = n.parent) names.unshift(n.name);
  return names;
}

const ENV_KEYS = ['leakCheck', 'leakSettle', 'leakKillGracePeriod'];

function msOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw invalidArgValue(name, value, 'must be a whole number of milliseconds from 0 to 2147483647');
  }
  return value;
}

const Base = baseEnvironment();

/**
 * Jest's node environment with the per-file leak check. Options (`testEnvironmentOptions`):
 * `leakCheck` (`'fail'`, default; `'warn'`; `'kill'`), `leakSettle` (ms the file's processes
 * get to go by themselves, default 500), `leakKillGracePeriod` (ms between SIGTERM and
 * SIGKILL, default 1000). Other keys go to Jest's node environment as usual.
 * @throws ERR_INVALID_ARG_VALUE for a bad option value.
 */
class UnixprocEnvironment extends Base {
  readonly #testFile: string | undefined;
  readonly #mode: LeakCheckMode;
  readonly #settle: number;
  readonly #grace: number;
  #testName: string | undefined;
  /** A beforeAll/afterAll (or, inside a test, its beforeEach/afterEach: the test's name wins). */
  #hookName: string | undefined;
  #checked = false;

  constructor(config: unknown, context: unknown) {
    super(config, context);
    const c = (config ?? {}) as EnvConfig;
    const opts = c.projectConfig?.testEnvironmentOptions ?? c.testEnvironmentOptions ?? {};
    for (const k of Object.keys(opts)) if (k.startsWith('leak') && !ENV_KEYS.includes(k)) throw invalidArgValue(`testEnvironmentOptions.${k}`, opts[k], `is not an option of unixproc/jest/environment (${ENV_KEYS.join(', ')})`);
    this.#mode = validateLeakCheckMode(opts.leakCheck, 'testEnvironmentOptions.leakCheck');
    this.#settle = msOption(opts.leakSettle, 'testEnvironmentOptions.leakSettle', 500);
    this.#grace = msOption(opts.leakKillGracePeriod, 'testEnvironmentOptions.leakKillGracePeriod', 1000);
    const testPath = (context as EnvContext | undefined)?.testPath;
    this.#testFile = typeof testPath === 'string' ? path.resolve(testPath) : undefined;
    // The sandbox's stack formatter maps the test files' positions through their source maps.
    installProvenance({ context: () => ({ testFile: this.#testFile, testName: this.#testName ?? this.#hookName, stackFormatter: (this.global as typeof globalThis | undefined)?.Error?.prepareStackTrace }) });
  }

  /** Tracks the current test (and hook) for provenance; runs the check at `run_finish`. */
  override async handleTestEvent(event: CircusEvent, state: CircusState): Promise<void> {
    await super.handleTestEvent?.(event, state);
    switch (event.name) {
      case 'test_start':
        this.#testName = fullName(event.test).join(' > ');
        break;
      case 'test_done':
        this.#testName = undefined;
        break;
      case 'hook_start': {
        const where = fullName(event.hook?.parent);
        this.#hookName = `${where.length > 0 ? `${where.join(' > ')} > ` : ''}(${event.hook?.type ?? 'hook'})`;
        break;
      }
      case 'hook_success':
      case 'hook_failure':
        this.#hookName = undefined;
        break;
      case 'run_finish': {
        // After every hook of the file, its own afterAll included: the file's verdict.
        const failure = await this.#check();
        if (failure !== undefined) state.unhandledErrors.push(failure);
        break;
      }
    }
  }

  async #check(): Promise<Error | undefined> {
    if (this.#checked || this.#testFile === undefined) return undefined;
    this.#checked = true;
    const { text, fail } = await runFileCheck(this.#testFile, this.#mode, this.#settle, this.#grace);
    if (text === '') return undefined;
    const message = `unixproc/jest/environment: ${path.relative(process.cwd(), this.#testFile)}: ${text}`;
    if (!fail) {
      process.stderr.write(message);
      return undefined;
    }
    const e = new Error(message);
    e.stack = message; // the report is the whole story: no stack of this module
    return e;
  }

  /** Runs the check when no `run_finish` came (Jest's jasmine2 runner): a leak fails the file here. */
  override async teardown(): Promise<void> {
    installProvenance({ context: () => ({ testFile: undefined, testName: undefined }) });
    const failure = await this.#check();
    await super.teardown();
    if (failure !== undefined) throw failure;
  }
}

export = UnixprocEnvironment;
