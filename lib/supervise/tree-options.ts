/**
 * The specs and options of {@link superviseTree}: their types, defaults, and validation. The
 * whole tree is checked here, every child and every subtree, before anything is started.
 */
import { invalidArgType, invalidArgValue } from '../errors';
import { optionKeys, validateBytes, validateOptions, validateStringArray } from '../validate';
import {
  validateSupervisorOptions,
  type BackoffOptions,
  type RestartPolicy,
  type StartLimitOptions,
  type SupervisorOptions,
} from './options';

/**
 * Which children a tree restarts when one of them fails (Erlang/OTP's supervisor
 * strategies, with hyphens):
 * - `'one-for-one'` (the default): only that child;
 * - `'one-for-all'`: every child: the others are stopped in reverse order, then all are
 *   started again in order;
 * - `'rest-for-one'`: that child and the ones started after it (later in the list): those
 *   are stopped in reverse order, then started again in order.
 */
export type RestartStrategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/**
 * A service's options in a tree: those of {@link supervise}, less what the tree owns. `name`
 * is the spec's; `backoff` and `startLimit` are the tree's (the tree restarts its children,
 * each {@link Supervisor} runs one child at a time and never restarts it itself). `restart`
 * stays per child: the tree reads it to decide whether that child is restarted.
 */
export type ServiceOptions = Omit<SupervisorOptions, 'name' | 'backoff' | 'startLimit'>;

/** A program a tree supervises (one {@link Supervisor}, named `name`). */
export interface ServiceSpec {
  /**
   * The service's name: unique among its siblings, the {@link Supervisor.name} (and the
   * `service` label of its metrics); 1 to 128 characters, no control character.
   */
  readonly name: string;
  /** The program (a path, or a name searched in PATH). */
  readonly file: string | Buffer;
  /** Its arguments. */
  readonly args?: readonly string[];
  /** See {@link ServiceOptions}. */
  readonly options?: ServiceOptions;
}

/** What a tree and each of its subtrees are configured with. */
export interface SupervisionTreeOptions {
  /** Which children are restarted when one fails (default `'one-for-one'`). See {@link RestartStrategy}. */
  readonly strategy?: RestartStrategy;
  /**
   * The restart intensity (Erlang's intensity and period, systemd's StartLimitBurst and
   * StartLimitIntervalSec): when `maxRestarts` restarts already happened within the last
   * `window` ms, the tree gives up instead of restarting (default 5 in 10000 ms, as
   * {@link supervise}'s). A restart of several children (one-for-all, rest-for-one) counts once.
   */
  readonly startLimit?: StartLimitOptions;
  /**
   * The delay before a restart (as {@link supervise}'s, per child: the n-th consecutive
   * restart caused by that child waits `initial * factor^(n-1)` ms, at most `max`; a child
   * ready for `resetAfter` ms starts again at `initial`). `{ initial: 0 }` restarts at once,
   * as Erlang does.
   */
  readonly backoff?: BackoffOptions;
}

/** The root tree's options: a name for it, and {@link SupervisionTreeOptions}. */
export interface SuperviseTreeOptions extends SupervisionTreeOptions {
  /** The tree's name, {@link SupervisionTree.name} (default `'tree'`); 1 to 128 characters, no control character. */
  readonly name?: string;
}

/** A subtree: a tree as the child of a tree (Erlang's supervisor under a supervisor). */
export interface SubtreeSpec extends SupervisionTreeOptions {
  /** Its name, unique among its siblings (1 to 128 characters, no control character). */
  readonly name: string;
  /** Its children, started in order. */
  readonly children: readonly ChildSpec[];
  /**
   * Whether the parent restarts it (default `'on-failure'`): a subtree fails when it gives up
   * (its start limit) and exits cleanly when every child of its own ended by its policy.
   */
  readonly restart?: RestartPolicy;
}

/** A child of a tree: a service (it has a `file`) or a subtree (it has `children`). */
export type ChildSpec = ServiceSpec | SubtreeSpec;

/** A validated service. @internal */
export interface ServiceNode {
  readonly kind: 'service';
  readonly name: string;
  readonly restart: RestartPolicy;
  readonly file: string | Buffer;
  readonly args: readonly string[];
  /** What {@link supervise} is given: the service's options, its name, and `restart: 'never'`. */
  readonly options: SupervisorOptions;
}

/** A validated subtree. @internal */
export interface SubtreeNode {
  readonly kind: 'tree';
  readonly name: string;
  readonly restart: RestartPolicy;
  readonly tree: TreeSpec;
}

/** A validated tree. @internal */
export interface TreeSpec {
  readonly name: string;
  readonly strategy: RestartStrategy;
  readonly maxRestarts: number;
  readonly window: number;
  readonly backoffInitial: number;
  readonly backoffFactor: number;
  readonly backoffMax: number;
  readonly resetAfter: number;
  readonly children: readonly (ServiceNode | SubtreeNode)[];
}

const SERVICE_KEYS = optionKeys<ServiceSpec>({ name: true, file: true, args: true, options: true });
const SUBTREE_KEYS = optionKeys<SubtreeSpec>({ name: true, children: true, strategy: true, startLimit: true, backoff: true, restart: true });
const ROOT_KEYS = optionKeys<SuperviseTreeOptions>({ name: true, strategy: true, startLimit: true, backoff: true });
const SERVICE_OPTION_KEYS = optionKeys<ServiceOptions>({
  restart: true, killSignal: true, killGracePeriod: true, cwd: true, env: true, stdio: true, user: true, group: true,
  extraGroups: true, contain: true, ready: true, readyTimeout: true, watchdog: true, notifySocket: true, output: true,
});
/** What a service's options may not hold, and where it goes instead. */
const OWNED_BY_TREE: Readonly<Record<string, string>> = {
  name: "is the spec's own (set the child's 'name')",
  backoff: "is the tree's (the tree restarts its children: set 'backoff' on the tree)",
  startLimit: "is the tree's (the tree restarts its children: set 'startLimit' on the tree)",
};
const STRATEGIES: readonly string[] = ['one-for-one', 'one-for-all', 'rest-for-one'];

/**
 * Runs one of supervise()'s validators and names the property as the tree does: its errors
 * say `options.x`; here the object is `children[1].options` (or a subtree's `children[1]`).
 */
function requalified<T>(prefix: string, validate: () => T): T {
  try {
    return validate();
  } catch (e) {
    if (prefix !== 'options' && e instanceof Error && typeof (e as { code?: unknown }).code === 'string') {
      e.message = e.message.replace(/(['"])options(?=[.'"])/, `$1${prefix}`);
      if (e.stack !== undefined) e.stack = e.stack.replace(/(['"])options(?=[.'"])/, `$1${prefix}`);
    }
    throw e;
  }
}

function validateStrategy(value: unknown, name: string): RestartStrategy {
  if (value === undefined) return 'one-for-one';
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!STRATEGIES.includes(value)) throw invalidArgValue(name, value, "must be 'one-for-one', 'one-for-all' or 'rest-for-one'");
  return value as RestartStrategy;
}

/** At most this many characters in a name (as supervise()'s `name`: a label value, kept short). */
const NAME_MAX = 128;

/** A name, checked as supervise() checks its `name` option. */
function validateNodeName(value: unknown, name: string): string {
  if (value === undefined) throw invalidArgValue(name, value, 'is required (a name unique among its siblings)');
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value.length === 0 || value.length > NAME_MAX || /[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    throw invalidArgValue(name, value, `must be 1 to ${NAME_MAX} characters, no control character`);
  }
  return value;
}

/** The tree-level options (a root's options object, or a subtree spec) at `prefix`. */
function treeSettings(o: Partial<SubtreeSpec>, prefix: string): Omit<TreeSpec, 'name' | 'children'> {
  const strategy = validateStrategy(o.strategy, `${prefix}.strategy`);
  const s = requalified(prefix, () => validateSupervisorOptions({ backoff: o.backoff, startLimit: o.startLimit }));
  return {
    strategy,
    maxRestarts: s.maxRestarts,
    window: s.window,
    backoffInitial: s.backoffInitial,
    backoffFactor: s.backoffFactor,
    backoffMax: s.backoffMax,
    resetAfter: s.resetAfter,
  };
}

function validateService(o: Partial<ServiceSpec>, at: string): ServiceNode {
  validateOptions<ServiceSpec>(o, at, SERVICE_KEYS);
  const name = validateNodeName(o.name, `${at}.name`);
  const file = validateBytes(o.file, `${at}.file`, false);
  if (o.args !== undefined && !Array.isArray(o.args)) throw invalidArgType(`${at}.args`, 'an instance of Array', o.args);
  const args = o.args === undefined ? [] : validateStringArray(o.args, `${at}.args`);
  const given = o.options;
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw invalidArgType(`${at}.options`, 'of type object', given);
  }
  for (const key of Object.keys(given ?? {})) {
    const owned = OWNED_BY_TREE[key];
    if (owned !== undefined) throw invalidArgValue(`${at}.options.${key}`, (given as Record<string, unknown>)[key], owned);
  }
  validateOptions<ServiceOptions>(given, `${at}.options`, SERVICE_OPTION_KEYS, { stopSignal: 'killSignal', stopTimeout: 'killGracePeriod' });
  const options: SupervisorOptions = { ...given, name, restart: 'never' };
  // Every value checked now, as supervise() would (it runs again at the first start).
  const checked = requalified(`${at}.options`, () => validateSupervisorOptions({ ...given, name }));
  return { kind: 'service', name, restart: checked.restart, file, args, options };
}

function validateSubtree(o: Partial<SubtreeSpec>, at: string): SubtreeNode {
  validateOptions<SubtreeSpec>(o, at, SUBTREE_KEYS);
  const name = validateNodeName(o.name, `${at}.name`);
  const restart = requalified(at, () => validateSupervisorOptions({ restart: o.restart }).restart);
  const tree: TreeSpec = { name, ...treeSettings(o, at), children: validateChildren(o.children, `${at}.children`) };
  return { kind: 'tree', name, restart, tree };
}

function validateChild(value: unknown, at: string): ServiceNode | SubtreeNode {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgType(at, 'of type object ({ name, file, args, options } or { name, children, ... })', value);
  }
  const o = value as Record<string, unknown>;
  if ('children' in o && 'file' in o) {
    throw invalidArgValue(at, value, "must have either a 'file' (a service) or 'children' (a subtree), not both");
  }
  if ('children' in o) return validateSubtree(o as Partial<SubtreeSpec>, at);
  if (!('file' in o)) {
    // A misspelt 'file' or 'children' is named by the key check; else say what is missing.
    validateOptions<ServiceSpec & SubtreeSpec>(o, at, [...new Set([...SERVICE_KEYS, ...SUBTREE_KEYS])]);
    throw invalidArgValue(at, value, "must have a 'file' (a service) or 'children' (a subtree)");
  }
  return validateService(o as Partial<ServiceSpec>, at);
}

function validateChildren(value: unknown, at: string): (ServiceNode | SubtreeNode)[] {
  if (!Array.isArray(value)) throw invalidArgType(at, 'an instance of Array', value);
  if (value.length === 0) throw invalidArgValue(at, value, 'must not be empty');
  const seen = new Map<string, number>();
  const out: (ServiceNode | SubtreeNode)[] = [];
  for (let i = 0; i < value.length; i++) {
    const child = validateChild(value[i], `${at}[${i}]`);
    const first = seen.get(child.name);
    if (first !== undefined) {
      throw invalidArgValue(`${at}[${i}].name`, child.name, `must be unique among its siblings (${at}[${first}] is named so too)`);
    }
    seen.set(child.name, i);
    out.push(child);
  }
  return out;
}

/** Validates superviseTree()'s arguments: the whole tree, before anything runs. @internal */
export function validateTree(children: unknown, options: unknown): TreeSpec {
  const o = validateOptions<SuperviseTreeOptions>(options, 'options', ROOT_KEYS);
  const name = o.name === undefined ? 'tree' : validateNodeName(o.name, 'options.name');
  const settings = treeSettings(o, 'options');
  return { name, ...settings, children: validateChildren(children, 'children') };
}
