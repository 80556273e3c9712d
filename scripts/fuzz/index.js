#!/usr/bin/env node
'use strict';
// `npm run fuzz -- [--seed S] [--runs N] [--tree-runs N] [--only REGEX] [--index I] [--jobs J] [--json FILE]`
//
// A seeded, reproducible property-based fuzz (fast-check) of every export of `unixproc`,
// `unixproc/os` and the integration entry points, and of the /proc readers on hostile
// procfs trees (scripts/fuzz/targets.js says what is called with what). Calls run in
// disposable worker processes, many per worker; each worker is the second process of its
// own pid namespace (`unshare -fp --mount-proc --kill-child`, as root) with the root file
// system read-only and a scratch directory as its only writable place, so a call that
// signals random pids, kills -1, setsid()s, exec()s or _exit()s reaches nothing outside.
// Without a pid namespace (not root, no unshare) those calls are skipped, never run.
//
// The worker writes each call before making it; when a worker crashes, hangs (no progress
// for --hang-ms) or grows past --max-rss-mb, the call in flight is the finding, re-run
// alone in a fresh worker to confirm, and printed with its seed, target and index:
// `npm run fuzz -- --seed S --only '^target$' --index I` repeats exactly that call.
//
// Prints, per target: calls, returned, typed rejections (an Error of a Node kind with a
// string `code`), propagated (the fuzz's own throwing getters/abort reasons), untyped
// rejections, still pending, ended (a call that may end its worker did), crashes, hangs.
// Exits 1 when any call crashed or hung, 0 otherwise (untyped rejections are listed).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

// The checkout whose library is fuzzed: this one, or UNIXPROC_FUZZ_ROOT (another checkout,
// e.g. a branch under review; fast-check and typescript still come from this one).
const root = process.env.UNIXPROC_FUZZ_ROOT ? path.resolve(process.env.UNIXPROC_FUZZ_ROOT) : path.resolve(__dirname, '..', '..');
const { listTargets, flagsOf, MODULES } = require('./targets');

function parseArgs(argv) {
  const o = { seed: 1, runs: 20, only: undefined, index: undefined, jobs: 2, batch: 150, hangMs: 4000, startMs: 30000, maxRssMb: 1500, asyncMs: 30, settleMs: 1000, json: undefined, quiet: false, confirm: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--seed') o.seed = Number(next());
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--tree-runs') o.treeRuns = Number(next());
    else if (a === '--only') o.only = new RegExp(next());
    else if (a === '--index') o.index = Number(next());
    else if (a === '--jobs') o.jobs = Number(next());
    else if (a === '--batch') o.batch = Number(next());
    else if (a === '--hang-ms') o.hangMs = Number(next());
    else if (a === '--max-rss-mb') o.maxRssMb = Number(next());
    else if (a === '--json') o.json = next();
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--no-confirm') o.confirm = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '--help') {
      console.log(fs.readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else throw new Error(`fuzz: unknown argument ${a}`);
  }
  if (!Number.isSafeInteger(o.seed)) throw new Error('fuzz: --seed takes an integer');
  return o;
}

// The targets, listed by loading the modules here (importing does nothing; nothing is called).
function targetNames(cacheDir) {
  require('./common').installTsCache(root, cacheDir);
  const loaded = {};
  for (const [name, file] of Object.entries(MODULES)) loaded[name] = name.endsWith('/register') ? {} : require(path.join(root, file));
  return listTargets(loaded).map((t) => ({ name: t.name, flags: flagsOf(t) }));
}

function sandboxAvailable() {
  if (process.getuid() !== 0) return false;
  const r = spawnSync('unshare', ['-fp', '--mount-proc', '--kill-child', '--', '/bin/true'], { stdio: 'ignore' });
  return r.status === 0;
}

// The host pid of the worker's node: unshare -> sh (namespace init) -> node.
function workerHostPid(unsharePid) {
  const kids = (pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  for (const sh of kids(unsharePid)) for (const n of kids(sh)) return n;
  return kids(unsharePid)[0];
}
function procField(pid, re) {
  try {
    const m = re.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

let workerCount = 0;
// Runs one worker over `plan` ([name, index][]); resolves { results, progress, death }.
function runWorker(opts, env, plan) {
  const id = ++workerCount;
  const base = path.join(env.workDir, `w${id}`);
  fs.mkdirSync(base, { recursive: true });
  const config = {
    root, seed: opts.seed, plan, sandboxed: env.sandboxed, hostPidNamespace: env.hostPidNamespace,
    workDir: base, cacheDir: env.cacheDir, progressFile: path.join(base, 'progress.json'), resultsFile: path.join(base, 'results.jsonl'),
    asyncMs: opts.asyncMs, settleMs: opts.settleMs,
  };
  const configFile = path.join(base, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  fs.writeFileSync(config.resultsFile, '');
  const statusFile = path.join(base, 'status');
  const log = fs.openSync(path.join(base, 'log'), 'w');
  const worker = path.join(__dirname, 'worker.js');
  let child;
  if (env.sandboxed) {
    // Inside: bind the scratch dir on itself, then make / read-only (this mount namespace only).
    const script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind / && cd "$2" || exit 97; "$3" "$4" "$5" </dev/null; echo $? > "$2/status"';
    child = spawn('unshare', ['-fp', '--mount-proc', '--kill-child', '--', '/bin/sh', '-c', script, 'sh', env.workDir, base, process.execPath, worker, configFile], { stdio: ['ignore', log, log], detached: true });
  } else {
    child = spawn(process.execPath, [worker, configFile], { cwd: base, stdio: ['ignore', log, log], detached: true });
  }
  fs.closeSync(log);
  return new Promise((resolve) => {
    let last = '';
    let lastChange = Date.now();
    let death;
    const timer = setInterval(() => {
      let now = '';
      try {
        now = fs.readFileSync(config.progressFile, 'utf8');
      } catch {
        // not started yet
      }
      if (now !== last) {
        last = now;
        lastChange = Date.now();
      }
      const hostPid = env.sandboxed ? workerHostPid(child.pid) : child.pid;
      const rssKb = hostPid ? Number(procField(hostPid, /VmRSS:\s+(\d+)/)) : 0;
      const stopped = hostPid ? /^T/.test(procField(hostPid, /State:\s+(\S+)/) ?? '') : false;
      if (death === undefined && rssKb > opts.maxRssMb * 1024) death = { kind: 'memory', detail: `RSS ${Math.round(rssKb / 1024)} MB > ${opts.maxRssMb} MB` };
      else if (death === undefined && Date.now() - lastChange > (last === '' || /"phase":"(starting|setup)"/.test(last) ? opts.startMs : opts.hangMs)) death = { kind: stopped ? 'stopped' : 'hang', detail: `no progress for ${opts.hangMs} ms${stopped ? ' (worker stopped)' : ''}` };
      if (death !== undefined) child.kill('SIGKILL'); // our own child: unshare, whose --kill-child ends the namespace
    }, 100);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      let progress = {};
      try {
        progress = JSON.parse(fs.readFileSync(config.progressFile, 'utf8'));
      } catch {
        // the worker died before its first call
      }
      const results = fs.readFileSync(config.resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      let status = code;
      try {
        status = Number(fs.readFileSync(statusFile, 'utf8'));
      } catch {
        // killed before sh wrote it
      }
      const logText = fs.readFileSync(path.join(base, 'log'), 'utf8');
      if (!opts.keep) fs.rmSync(base, { recursive: true, force: true });
      resolve({ results, progress, death, status, signal, log: logText.slice(-2000) });
    });
  });
}

const CRASH_SIGNALS = new Set([132, 133, 134, 135, 136, 139]); // 128 + SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV

// Runs the plan to the end, restarting a worker after the call that ended it.
async function runPlan(opts, env, plan, flagsByName, onResult) {
  let at = 0;
  while (at < plan.length) {
    const slice = plan.slice(at);
    const r = await runWorker(opts, env, slice);
    for (const res of r.results) onResult(res);
    const p = r.progress;
    if (p.phase === 'done') return;
    const doneKeys = new Set(r.results.map((x) => `${x.n}\0${x.i}`));
    let pos = p.n === undefined ? -1 : slice.findIndex(([n, i]) => n === p.n && i === p.i);
    if (p.phase === 'settle') {
      // Died while waiting for pending Promises: any of them.
      onResult({ n: slice[slice.length - 1][0], i: slice[slice.length - 1][1], o: r.death?.kind === 'hang' ? 'hang' : 'crash', d: `while settling ${JSON.stringify(p.pending)}: ${r.death?.detail ?? `exit ${r.status}`}`, settle: p.pending });
      return;
    }
    if (pos < 0) {
      onResult({ n: slice[0][0], i: slice[0][1], o: 'crash', d: `worker failed before its first call (exit ${r.status}): ${r.log}` });
      pos = 0;
    } else {
      const flags = flagsByName.get(p.n) ?? {};
      const recorded = doneKeys.has(`${p.n}\0${p.i}`) && p.phase === 'call';
      const how = r.death ? r.death.detail : `exit status ${r.status}`;
      let o;
      if (p.phase === 'setup') o = 'harness';
      else if (r.death?.kind === 'memory') o = 'crash';
      else if (r.death?.kind === 'stopped') o = flags.ends ? 'ended' : 'hang';
      else if (r.death?.kind === 'hang') o = flags.ends === 'fd' ? 'ended' : 'hang';
      else if (flags.ends === 'signal') o = 'ended';
      else if (flags.ends && !CRASH_SIGNALS.has(r.status)) o = 'ended';
      else o = 'crash';
      if (!recorded || o !== 'ended') onResult({ n: p.n, i: p.i, o, d: `${how}${p.phase === 'methods' ? ' (in a method of its result)' : ''}`, input: p.input, log: o === 'crash' ? r.log : undefined });
    }
    at += pos + 1;
  }
}

function table(stats) {
  const cols = ['calls', 'returned', 'typed', 'propagated', 'untyped', 'pending', 'ended', 'skipped', 'crash', 'hang', 'harness'];
  const rows = [...stats.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const w = Math.max(...rows.map(([n]) => n.length), 6);
  const lines = [`${'target'.padEnd(w)} ${cols.map((c) => c.padStart(9)).join('')}`];
  const total = Object.fromEntries(cols.map((c) => [c, 0]));
  for (const [name, s] of rows) {
    lines.push(`${name.padEnd(w)} ${cols.map((c) => String(s[c] ?? 0).padStart(9)).join('')}`);
    for (const c of cols) total[c] += s[c] ?? 0;
  }
  lines.push(`${'TOTAL'.padEnd(w)} ${cols.map((c) => String(total[c]).padStart(9)).join('')}`);
  return { text: lines.join('\n'), total };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const sandboxed = sandboxAvailable();
  // tmpfs when there is one: laying out a procfs tree of a thousand processes is many small writes.
  const scratch = fs.existsSync('/dev/shm') && fs.statSync('/dev/shm').isDirectory() ? '/dev/shm' : os.tmpdir();
  const workDir = fs.mkdtempSync(path.join(scratch, 'unixproc-fuzz-'));
  const env = { sandboxed, workDir, cacheDir: path.join(workDir, 'ts-cache'), hostPidNamespace: fs.readlinkSync('/proc/self/ns/pid') };
  const all = targetNames(env.cacheDir);
  const chosen = all.filter((t) => !opts.only || opts.only.test(t.name));
  if (chosen.length === 0) throw new Error('fuzz: --only matches no target');
  const flagsByName = new Map(all.map((t) => [t.name, t.flags]));
  const plan = [];
  for (const t of chosen) {
    if (opts.index !== undefined) {
      plan.push([t.name, opts.index]);
      continue;
    }
    const runs = t.name.startsWith('tree:') && opts.treeRuns !== undefined ? opts.treeRuns : opts.runs;
    const n = Math.max(1, Math.round(runs * (t.flags.share ?? 1)));
    for (let i = 0; i < n; i++) plan.push([t.name, i]);
  }
  const batches = [];
  for (let i = 0; i < plan.length; i += opts.batch) batches.push(plan.slice(i, i + opts.batch));

  const stats = new Map();
  const findings = [];
  const untyped = new Map();
  const bump = (n, o) => {
    const s = stats.get(n) ?? {};
    s[o] = (s[o] ?? 0) + 1;
    if (o !== 'skipped') s.calls = (s.calls ?? 0) + 1;
    Object.defineProperty(s, 'codes', { value: s.codes, writable: true, enumerable: true, configurable: true });
    stats.set(n, s);
  };
  const onResult = (r) => {
    if (r.n === undefined) console.error('fuzz: result without a target', JSON.stringify(r));
    bump(r.n ?? '(unknown)', r.o);
    if (r.o === 'typed') {
      const s = stats.get(r.n);
      s.codes = s.codes ?? {};
      s.codes[r.d] = (s.codes[r.d] ?? 0) + 1;
    }
    if (r.o === 'crash' || r.o === 'hang' || r.o === 'harness') findings.push(r);
    if (r.o === 'untyped') {
      const key = `${r.n}\0${r.d}`;
      if (!untyped.has(key)) untyped.set(key, { ...r, count: 0 });
      untyped.get(key).count++;
    }
  };
  const queue = [...batches];
  const runners = Array.from({ length: Math.max(1, opts.jobs) }, async () => {
    while (queue.length > 0) await runPlan(opts, env, queue.shift(), flagsByName, onResult);
  });
  await Promise.all(runners);

  // Confirm each crash/hang alone, in a fresh worker.
  for (const f of findings) {
    if (!opts.confirm) break;
    const alone = [];
    await runPlan({ ...opts, batch: 1 }, env, (f.settle ?? [[f.n, f.i]]).map(([n, i]) => [n, i]), flagsByName, (r) => alone.push(r));
    const again = alone.find((r) => r.o === 'crash' || r.o === 'hang');
    f.confirmed = again ? `${again.o} again alone${f.settle ? ` (${again.n} #${again.i})` : ''}` : 'not reproduced alone';
  }
  if (!opts.keep) fs.rmSync(workDir, { recursive: true, force: true });
  else console.log(`kept ${workDir}`);

  const { text, total } = table(stats);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const summary = `fuzz: seed ${opts.seed}, ${total.calls} calls over ${stats.size} targets in ${secs} s (${sandboxed ? 'pid namespace sandbox' : 'NO sandbox: destructive calls skipped'}): ${total.crash} crashes, ${total.hang} hangs, ${untyped.size} distinct untyped rejections (${total.untyped} calls)`;
  if (!opts.quiet) console.log(text);
  for (const f of findings) {
    console.log(`\n${f.o.toUpperCase()} ${f.n} #${f.i} (seed ${opts.seed}; ${f.confirmed ?? 'unconfirmed'}): ${f.d}\n  input: ${f.input ?? '(see settle list)'}\n  repeat: npm run fuzz -- --seed ${opts.seed} --only '^${String(f.n).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$' --index ${f.i}`);
    if (f.log) console.log(`  worker output: ${f.log.trim().split('\n').slice(-5).join('\n    ')}`);
  }
  if (untyped.size > 0) {
    console.log('\nuntyped rejections (first input of each):');
    for (const u of untyped.values()) console.log(`  ${u.n} #${u.i} x${u.count}: ${u.d}\n    input: ${u.input}`);
  }
  console.log(`\n${summary}`);
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({ seed: opts.seed, seconds: Number(secs), sandboxed, total, stats: Object.fromEntries(stats), findings, untyped: [...untyped.values()] }, null, 2));
  }
  process.exitCode = total.crash + total.hang + total.harness > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
