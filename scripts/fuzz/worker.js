'use strict';
// One disposable fuzz worker (started by scripts/fuzz/index.js, normally as the second
// process of its own pid namespace, root read-only, cwd a scratch directory). It runs the
// calls of its plan in order; before each call it writes the call (target, index, input)
// to the progress file, after it one JSON line to the results file, so when the worker
// crashes or hangs the driver knows which input did it.
//
// Inputs are derived from (seed, target, index) alone: the same three reproduce the call.
const fs = require('node:fs');
const path = require('node:path');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const root = config.root;

require('./common').installTsCache(root, config.cacheDir);

const fc = require('fast-check');
const { kinds } = require('./arbitraries');
const { PARAMS, MODULES, TREE_READERS, listTargets, flagsOf } = require('./targets');
const trees = require('./procfs-trees');
const { inputSeed, describe } = require('./common');

const loaded = {};
for (const [name, file] of Object.entries(MODULES)) {
  if (name.endsWith('/register')) loaded[name] = {};
  else loaded[name] = require(path.join(root, file));
}
const os = loaded['unixproc/os'];
const { spawn } = loaded.unixproc;

// Am I in a pid namespace of my own? Only then may a call signal random pids, kill -1, or
// exit; the driver passes its own namespace, and a worker that shares it runs none of that.
const sandboxed = config.sandboxed === true && fs.readlinkSync('/proc/self/ns/pid') !== config.hostPidNamespace;

function writeProgress(obj) {
  fs.writeFileSync(config.progressFile, JSON.stringify(obj));
}
function record(obj) {
  fs.appendFileSync(config.resultsFile, `${JSON.stringify(obj)}\n`);
}

// The context the plausible arbitraries draw pids, fds and paths from.
function makeContext() {
  const dir = fs.mkdtempSync(path.join(config.workDir, 'ctx-'));
  const file = path.join(dir, 'regular');
  fs.writeFileSync(file, '12345\n');
  const fifo = path.join(dir, 'fifo');
  require('node:child_process').execFileSync('mkfifo', [fifo]);
  fs.symlinkSync('/dev/zero', path.join(dir, 'devzero'));
  fs.symlinkSync('/nonexistent/x', path.join(dir, 'dangling'));
  fs.writeFileSync(path.join(dir, 'pidfile-self'), `${process.pid}\n`);
  let childPid = 0;
  let zombiePid = 0;
  let deadPid = 0;
  if (sandboxed) {
    childPid = os.posix_spawn('/bin/sleep', ['sleep', '1000']);
    zombiePid = os.posix_spawn('/bin/true', ['true']);
    deadPid = os.posix_spawn('/bin/true', ['true']);
    os.waitpid(deadPid, 0);
  }
  let startTime = 0;
  try {
    startTime = loaded.unixproc.getProcess(process.pid).startTime;
  } catch {
    // unknown: 0
  }
  return {
    dir, pid: process.pid, ppid: process.ppid, childPid, zombiePid, deadPid, startTime,
    fdReadable: fs.openSync(file, 'r'),
    paths: [file, dir, fifo, path.join(dir, 'devzero'), path.join(dir, 'dangling'), path.join(dir, 'pidfile-self'), path.join(dir, 'new-file')],
  };
}

// The extra option a fixture procfs root needs (issue 8: non-procfs roots are refused
// unless the caller says it is a fixture); {} where the option does not exist.
function fixtureOptions() {
  if (process.env.UNIXPROC_FUZZ_FIXTURE_OPTIONS) return JSON.parse(process.env.UNIXPROC_FUZZ_FIXTURE_OPTIONS);
  const probe = fs.mkdtempSync(path.join(config.workDir, 'probe-'));
  try {
    loaded.unixproc.listProcesses({ procfs: probe, procfsFixture: true });
  } catch (e) {
    if (e && /procfsFixture/.test(String(e.message))) return {};
  }
  return { procfsFixture: true };
}

// A thrown value is typed when it is an Error of a Node kind with a string `code`.
// Our own hostile values' exceptions (messages starting "fuzz") propagating is fine, and
// so is an AbortSignal's reason.
const NON_NODE_KINDS = new Set(['SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError', 'InternalError']);
function classify(e) {
  if (e instanceof Error || (e && typeof e === 'object' && e.constructor && e.constructor.name === 'DOMException')) {
    const msg = String(e.message);
    if (/^fuzz/.test(msg) || e.name === 'TimeoutError') return { o: 'propagated', d: msg.slice(0, 80) };
    if (NON_NODE_KINDS.has(e.constructor.name)) return { o: 'untyped', d: `${e.constructor.name}: ${msg.slice(0, 160)}` };
    if (typeof e.code === 'string') return { o: 'typed', d: e.code };
    return { o: 'untyped', d: `${e.constructor.name} without code: ${msg.slice(0, 160)}` };
  }
  return { o: 'untyped', d: `non-Error thrown: ${describe(e)}` };
}

writeProgress({ phase: 'starting' });
const ctx = makeContext();
const k = kinds(ctx);
const fixture = fixtureOptions();
const targets = new Map(listTargets(loaded).map((t) => [t.name, t]));
const pokeArb = fc.array(fc.tuple(fc.nat(), fc.array(k.hostile, { maxLength: 2 })), { maxLength: 2 });

function inputArb(t) {
  if (t.kind === 'tree') return trees.treeArb;
  const make = PARAMS[t.key];
  const params = make ? make(k, ctx) : [k.hostile, k.hostile, k.hostile];
  if (!Array.isArray(params)) {
    // variadic: an arbitrary of the whole argument list
    return fc.record({ args: params, arity: fc.constant(Infinity), pokes: pokeArb });
  }
  // Some calls pass fewer arguments than the function declares, some more.
  const arity = fc.nat({ max: params.length + 1 });
  return fc.record({ args: fc.tuple(...params, k.hostile), arity, pokes: pokeArb });
}

let current;
const pending = new Set();
process.on('uncaughtException', (e) => {
  record({ n: current?.n, i: current?.i, o: 'crash', d: `uncaughtException: ${describe(e)}`, input: current?.input });
});
process.on('unhandledRejection', (e) => {
  record({ n: current?.n, i: current?.i, o: 'crash', d: `unhandledRejection: ${describe(e)}`, input: current?.input });
});

// The methods of a result whose class is the library's (a Subprocess, Supervisor,
// LeakGuard...), not of arrays, maps or promises.
const isNative = (f) => typeof f === 'function' && /\[native code\]/.test(Function.prototype.toString.call(f));
function methodsOf(value) {
  if (value === null || typeof value !== 'object' || isNative(value.constructor)) return [];
  const names = new Set();
  for (let p = Object.getPrototypeOf(value); p && p !== Object.prototype && p !== Function.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name === 'constructor' || name.startsWith('_')) continue;
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (d && typeof d.value === 'function') names.add(name);
    }
  }
  return [...names].sort();
}

function invoke(t, input, item) {
  if (t.kind === 'tree') return TREE_READERS[t.key](t.fn, input.pid, { procfs: item.treeDir, ...fixture });
  if (t.kind === 'require') {
    const file = require.resolve(path.join(root, MODULES[t.module]));
    delete require.cache[file];
    return require(file);
  }
  let args = input.args.slice(0, input.arity);
  if (t.key === 'waitForExit' && args[0] === '$subprocess') args = [spawn('/bin/true', []), ...args.slice(1)];
  if (t.kind === 'construct') return new t.fn(...args);
  if (t.key === 'fork' || t.key === 'forkpty') {
    const r = t.fn(...args);
    if (r === 0 || (Array.isArray(r) && r[0] === 0)) os._exit(0); // the child: gone at once
    return r;
  }
  item.args = args;
  return t.fn(...args);
}

const isThenable = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A Promise result: wait a little; if it has not settled, keep going and collect it later.
async function outcomeOf(name, index, value, input, after) {
  if (!isThenable(value)) {
    after(value);
    return { o: 'returned' };
  }
  let settled;
  const p = Promise.resolve(value).then(
    (v) => { settled = { o: 'returned' }; after(v); return settled; },
    (e) => { settled = classify(e); return settled; },
  );
  await Promise.race([p, sleep(config.asyncMs)]);
  if (settled) return settled;
  const entry = { n: name, i: index, input };
  pending.add(entry);
  p.then((s) => {
    pending.delete(entry);
    record({ n: name, i: index, ...s, input: s.o === 'untyped' ? input : undefined, late: true });
  });
  return undefined;
}

async function pokeAll(name, index, value, pokes, input) {
  const methods = methodsOf(value);
  if (methods.length === 0) return;
  for (const [which, args] of pokes) {
    const method = methods[which % methods.length];
    const pname = `${name}#${method}`;
    let r;
    try {
      r = value[method](...args);
    } catch (e) {
      const c = classify(e);
      record({ n: pname, i: index, ...c, input: c.o === 'untyped' ? `${input} then .${method}(${describe(args)})` : undefined });
      continue;
    }
    const s = await outcomeOf(pname, index, r, `${input} then .${method}(${describe(args)})`, () => {});
    if (s) record({ n: pname, i: index, ...s });
  }
}

// Back to SCHED_OTHER, nice 0, every CPU, after a scheduling call (see targets.js).
function resetScheduling() {
  try {
    os.sched_setscheduler(0, os.SCHED_OTHER, new os.sched_param(0));
  } catch {
    // not there: nothing to reset
  }
  try {
    os.setpriority(os.PRIO_PROCESS ?? 0, 0, 0);
  } catch {
    // idem
  }
  try {
    os.sched_setaffinity(0, require('node:os').cpus().map((_, i) => i));
  } catch {
    // idem
  }
}

// A tree is removed after its call was recorded, outside the timed call.
function removeTree(item) {
  if (!item.treeDir) return;
  writeProgress({ n: item.n, i: item.i, input: item.input, phase: 'setup' });
  fs.rmSync(item.treeDir, { recursive: true, force: true });
}

// Leaves nothing running that the next call might wait on (inside the namespace only).
function clearNamespace() {
  if (!sandboxed) return;
  try {
    process.kill(-1, 'SIGKILL'); // kill(2) with pid -1: every process of this pid namespace but init and me
  } catch {
    // ESRCH: nothing else runs
  }
}

async function main() {
  for (const [name, index] of config.plan) {
    const t = targets.get(name);
    if (!t) {
      record({ n: name, i: index, o: 'skipped', d: 'no such target here' });
      continue;
    }
    const flags = flagsOf(t);
    if (flags.sandboxOnly && !sandboxed) {
      record({ n: name, i: index, o: 'skipped', d: 'needs a pid namespace' });
      continue;
    }
    const [input] = fc.sample(inputArb(t), { seed: inputSeed(config.seed, name, index), numRuns: 1 });
    const shown = describe(t.kind === 'tree' ? input : input.args.slice(0, input.arity), 4000);
    current = { n: name, i: index, input: shown };
    if (t.kind === 'tree') {
      // Laying out the tree (up to a thousand processes) is not part of the call.
      writeProgress({ n: name, i: index, input: shown, phase: 'setup' });
      current.treeDir = fs.mkdtempSync(path.join(config.workDir, 'tree-'));
      trees.make(current.treeDir, input);
    }
    writeProgress({ n: name, i: index, input: shown, phase: 'call' });
    if (flags.waits) clearNamespace();
    let value;
    try {
      value = invoke(t, input, current);
    } catch (e) {
      const c = classify(e);
      record({ n: name, i: index, ...c, input: c.o === 'untyped' ? shown : undefined });
      removeTree(current);
      if (flags.resetScheduling) resetScheduling();
      continue;
    }
    removeTree(current);
    if (flags.resetScheduling) resetScheduling();
    let returned;
    const s = await outcomeOf(name, index, value, shown, (v) => { returned = v; });
    if (s) record({ n: name, i: index, ...s, input: s.o === 'untyped' ? shown : undefined });
    if (returned !== undefined && t.kind !== 'tree' && input.pokes.length > 0) {
      writeProgress({ n: name, i: index, input: shown, phase: 'methods' });
      await pokeAll(name, index, returned, input.pokes, shown);
    }
  }
  writeProgress({ phase: 'settle', pending: [...pending].map((p) => [p.n, p.i]) });
  const deadline = Date.now() + config.settleMs;
  while (pending.size > 0 && Date.now() < deadline) await sleep(20);
  for (const p of pending) record({ n: p.n, i: p.i, o: 'pending', input: p.input });
  writeProgress({ phase: 'done' });
  process.exit(0);
}

main().catch((e) => {
  record({ n: current?.n ?? '(fuzz worker)', i: current?.i ?? 0, o: 'harness', d: `fuzz worker failed: ${e && e.stack}`, input: current?.input });
  process.exit(70);
});
