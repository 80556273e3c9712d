'use strict';
// fast-check arbitraries for the fuzz: hostile values of every JavaScript kind, and
// plausible values per parameter kind (pids, signals, fds, paths, files, options) so that
// calls get past the first type check and reach the native code. Every hostile object is
// made fresh per call (fc.constant(...).map) so a call that mutates it cannot affect the
// next, and carries a label (fc.toStringMethod) so the report prints what was passed.
const fc = require('fast-check');

const label = (text, value) => {
  try {
    Object.defineProperty(value, fc.toStringMethod, { value: () => text, enumerable: false });
  } catch {
    // frozen or exotic: printed as fast-check sees it
  }
  return value;
};
const fresh = (text, make) => fc.constant(null).map(() => label(text, make()));

// Objects that fight back: getters and traps that throw, toString/valueOf that throw,
// self-reference, null prototype, a forged `then`.
function throwingProxy() {
  const handler = {};
  for (const trap of ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'set', 'apply']) {
    handler[trap] = (...a) => {
      // fast-check itself asks for its own symbols (printing, cloning): answer those.
      if (trap === 'get' && a[1] === fc.toStringMethod) return () => 'throwingProxy()';
      if (trap === 'get' && a[1] === fc.cloneMethod) return undefined;
      if (trap === 'has' && (a[1] === fc.toStringMethod || a[1] === fc.cloneMethod)) return a[1] === fc.toStringMethod;
      throw new Error(`fuzz: proxy ${trap} trap`);
    };
  }
  return new Proxy(function target() {}, handler);
}
const hostileObjects = fc.oneof(
  fc.constant(null).map(() => throwingProxy()),
  fresh('{ get x() { throw } }', () => {
    const o = {};
    for (const k of ['procfs', 'env', 'stdio', 'cwd', 'signal', 'timeout', 'pid', 'length', 'then']) {
      Object.defineProperty(o, k, { enumerable: true, get: () => { throw new Error(`fuzz: getter ${k}`); } });
    }
    return o;
  }),
  fresh('{ toString/valueOf throw }', () => ({
    toString() { throw new Error('fuzz: toString'); },
    valueOf() { throw new Error('fuzz: valueOf'); },
    [Symbol.toPrimitive]() { throw new Error('fuzz: toPrimitive'); },
  })),
  fresh('cyclic', () => { const o = { a: 1 }; o.self = o; o.list = [o]; return o; }),
  fresh('Object.create(null)', () => Object.create(null)),
  fresh('{ then() {} }', () => ({ then() {} })),
  fresh('sparse [, 1]', () => [, 1]), // eslint-disable-line no-sparse-arrays
  fresh('array with length 2**32-1', () => { const a = []; a.length = 2 ** 32 - 1; return a; }),
  fresh('new Set([1])', () => new Set([1])),
  fresh('new Map([[1, 2]])', () => new Map([[1, 2]])),
  fresh('new Date(NaN)', () => new Date(NaN)),
  fresh('Buffer.from("a\\0b")', () => Buffer.from('a\0b')),
  fresh('new Uint8Array(3)', () => new Uint8Array(3)),
  fresh('new AbortController().signal (aborted)', () => { const c = new AbortController(); c.abort(new Error('fuzz abort')); return c.signal; }),
  fresh('new AbortController().signal', () => new AbortController().signal),
  fresh('new Error()', () => new Error('fuzz')),
  fresh('() => { throw }', () => () => { throw new Error('fuzz: callback'); }),
  fresh('() => true', () => () => true),
  fresh('async () => {}', () => async () => {}),
  fresh('class {}', () => class {}),
  fresh('new Number(3)', () => new Number(3)), // eslint-disable-line no-new-wrappers
  fresh('new String("x")', () => new String('x')), // eslint-disable-line no-new-wrappers
  fresh('{ __proto__: { procfs: "/proc" } }', () => Object.create({ procfs: '/proc', env: {} })),
  fresh('{ constructor: 1, hasOwnProperty: 1 }', () => ({ constructor: 1, hasOwnProperty: 1, __proto__: null })),
);

const specialNumbers = fc.constantFrom(
  0, -0, 1, -1, 2, 3, 7, 9, 15, 31, 32, 64, 65, 255, 256, 1023, 1024, 4096, 65535, 65536,
  2 ** 22, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -(2 ** 53),
  Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, 0.5, -0.5, 1.5, 1e21, NaN, Infinity, -Infinity,
);
const specialStrings = fc.constantFrom(
  '', ' ', '\0', 'a\0b', '0', '-1', '1e3', '0x10', 'NaN', '__proto__', 'constructor', 'toString',
  '\u{1F600}', '\uD800', 'x'.repeat(5000), 'SIGTERM', 'sigterm', 'SIGKILL', 'TERM', 'SIGFOO', 'SIG', 'SIGRTMIN+1',
  '.', '..', '/', '//', '/proc', '/proc/', '/proc/self', '/dev/null', '/nonexistent', 'utf8', 'buffer', 'text', 'hex',
);
const primitives = fc.oneof(
  specialNumbers,
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.constantFrom(0n, 1n, -1n, 10n),
  fc.boolean(),
  fc.constantFrom(undefined, null),
  fc.constant(null).map(() => Symbol('fuzz')),
  fc.constant(Symbol.iterator),
  fc.string({ maxLength: 12 }),
  specialStrings,
);
/** Any value at all, hostile ones over-represented. */
const hostile = fc.oneof(
  { weight: 4, arbitrary: primitives },
  { weight: 3, arbitrary: hostileObjects },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 2, withBigInt: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withObjectString: true }) },
);
/** Any value that is not a string (for parameters where a string reaches the kernel as a command). */
const hostileNonString = hostile.filter((v) => typeof v !== 'string' || v.includes('\0') || v === '');

/** A plausible value or, one time in four, a hostile one; sometimes left out. */
const maybe = (plausible, hostileArb = hostile) =>
  fc.oneof({ weight: 6, arbitrary: plausible }, { weight: 2, arbitrary: hostileArb }, { weight: 1, arbitrary: fc.constant(undefined) });

/**
 * The kinds of parameters, each from values that are valid, near-valid and boundary.
 * `ctx` is filled in the worker: its pid, its parent, a live child, a zombie, a dead pid,
 * the fixture paths (so pids and paths stay inside the sandbox and its temp dir).
 */
function kinds(ctx) {
  const pid = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(0, 1, -1, ctx.pid, ctx.ppid, ctx.childPid, ctx.zombiePid, ctx.deadPid, -ctx.pid, -ctx.childPid, 2 ** 22, 2 ** 22 + 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 1.5, NaN, -0) },
    { weight: 1, arbitrary: fc.integer({ min: -5, max: 5000 }) },
  );
  const signal = fc.oneof(
    fc.constantFrom(0, 1, 2, 9, 10, 15, 17, 18, 19, 20, 31, 32, 34, 64, 65, -1, 1.5, 'SIGTERM', 'SIGKILL', 'SIGUSR1', 'SIGCHLD', 'SIGCONT', 'SIGWINCH', 'SIGSTOP', 'SIGTSTP', 'SIGRTMIN', 'SIGRTMAX', 'SIGBOGUS', 'sigterm', 'TERM', ''),
    fc.integer({ min: -2, max: 70 }),
  );
  const fd = fc.constantFrom(0, 1, 2, 3, 4, 5, 10, 99, 1023, 1024, 65535, 2 ** 31 - 1, -1, 1.5, NaN, ctx.fdReadable);
  const int = fc.oneof(specialNumbers, fc.integer({ min: -10, max: 100 }));
  const flags = fc.oneof(fc.constantFrom(0, 1, 2, 4, 8, 0x01000000, 0x02000000, 0x20000000, 0x40000000, 0x80000000, 0xffffffff, -1), fc.integer({ min: 0, max: 0xff }));
  const timeoutMs = fc.constantFrom(0, 1, 5, 50, 100, -1, 1.5, NaN, Infinity, 2 ** 31, 2 ** 53);
  const path = fc.oneof(
    fc.constantFrom(...ctx.paths, '', '/nonexistent/x', 'relative-missing', 'a\0b', '/dev/null', '/proc', '/proc/self/fd/0', '.'),
    fc.string({ maxLength: 10 }).map((s) => `f-${s.replace(/[/.]/g, '_')}`),
  );
  // Programs to run: harmless ones, failing ones, missing ones, names that need PATH.
  const file = fc.constantFrom('/bin/true', 'true', '/bin/false', 'false', '/bin/sh', 'sh', '/nonexistent', 'no-such-program', '', 'a\0b', '/', '.', ctx.dir, '/dev/null', ctx.paths[0], Buffer.from('/bin/true'));
  const args = fc.oneof(
    fc.constantFrom([], ['-c', 'exit 0'], ['-c', 'exit 3'], ['-c', 'kill -TERM $$'], ['-c', 'exec 0<&-; exit 0'], ['x', 'y'], ['a\0b'], ['']),
    fc.array(fc.constantFrom('-c', 'exit 1', '', 'true', 1, null, undefined, Symbol('x'), 'a\0b'), { maxLength: 4 }),
  );
  const argv = args.map((a) => (Array.isArray(a) ? ['/bin/true', ...a] : a));
  const env = fc.oneof(
    fc.constantFrom({}, { PATH: '/usr/bin:/bin' }, { A: 'b' }, { 'A=B': 'c' }, { A: 'a\0b' }, { '': 'x' }, { A: undefined }, { A: 1 }),
    fc.constant(null).map(() => new Map([['A', 'b']])),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 4 }), hostile), { maxKeys: 3 }),
  );
  const stdioValue = fc.constantFrom('ignore', 'inherit', 'pipe', 'null', 'overlapped', 0, 1, 2, 3, -1, null, undefined, 'ipc');
  const stdio = fc.oneof(stdioValue, fc.array(stdioValue, { maxLength: 4 }));
  const abortSignal = fc.oneof(
    fc.constant(null).map(() => new AbortController().signal),
    fc.constant(null).map(() => AbortSignal.abort()),
    fc.constant(null).map(() => AbortSignal.timeout(5)),
  );
  const boolish = fc.oneof(fc.boolean(), fc.constantFrom(0, 1, 'true', null));
  /** An options object with real keys (valid or hostile values), an unknown key now and then. */
  const options = (shape) =>
    fc.oneof(
      { weight: 5, arbitrary: fc.record(Object.fromEntries(Object.entries(shape).map(([k, a]) => [k, maybe(a)])), { requiredKeys: [] }) },
      { weight: 1, arbitrary: fc.constantFrom({ bogus: 1 }, { killsignal: 'SIGTERM' }, { stopSignal: 'SIGTERM' }, { grace: 1 }) },
      { weight: 1, arbitrary: hostile },
    );
  const procfsOptions = options({ procfs: path.map((p) => (p === '/proc' ? p : p)) });
  const processRef = fc.oneof(
    fc.record({ pid, startTime: fc.oneof(fc.constantFrom(0, 1, ctx.startTime, -1, NaN, 2 ** 64), fc.integer()) }),
    fc.constant({ pid: ctx.pid, startTime: ctx.startTime }),
    hostile,
  );
  return { pid, signal, fd, int, flags, timeoutMs, path, file, args, argv, env, stdio, abortSignal, boolish, options, procfsOptions, processRef, hostile };
}

module.exports = { hostile, hostileNonString, maybe, kinds, label };
