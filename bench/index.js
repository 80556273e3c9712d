'use strict';
// `npm run bench`: builds dist/, then runs every bench/<concern>.js in its own Node process.
// Each one builds its own workload and prints its figures beside the anchors it measured in
// the same run (C loop, child_process, ps-list, pidusage, CPython/psutil), as ratios against
// the targets. A bench file may ask for Node flags in a first-lines comment:
//   // bench-flags: --single-threaded --expose-gc
// The fork soak is summarised with a short run here (`npm run soak` is the full one).
//
// --json: one JSON document on stdout, every bench's figures (bench/support/report.js
// record(): each bench appends a JSON line per figure to the file UNIXPROC_BENCH_JSON names);
// the human output goes to stderr. A bench that fails is listed with ok: false and whatever
// figures it recorded before it failed. --no-build: skip `npm run build:ts` (dist/ as it is).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const noBuild = argv.includes('--no-build');
const only = argv.filter((a) => !a.startsWith('--'));
// In JSON mode stdout is the document's alone: everything else goes to stderr.
const out = json ? 2 : 'inherit';
const say = json ? (s) => process.stderr.write(`${s}\n`) : (s) => console.log(s);

function flagsOf(file) {
  const head = fs.readFileSync(file, 'utf8').split('\n').slice(0, 15).join('\n');
  const m = /\/\/ bench-flags:(.*)/.exec(head);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

if (!noBuild) {
  const build = spawnSync('npm', ['run', '--silent', 'build:ts'], { cwd: root, stdio: ['ignore', out, 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const runs = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && f !== 'index.js' && !f.startsWith('soak'))
  .filter((f) => fs.statSync(path.join(__dirname, f)).isFile())
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
  .map((f) => ({ name: f, args: [] }));
if (fs.existsSync(path.join(__dirname, 'soak-fork.js')) && (only.length === 0 || only.some((o) => 'soak-fork.js'.includes(o)))) {
  runs.push({ name: 'soak-fork.js', args: ['100'] });
}

const jsonDir = json ? fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-bench-')) : undefined;
const results = [];
const loadBefore = os.loadavg();
let failed = 0;
for (const { name, args } of runs) {
  const file = path.join(__dirname, name);
  say(`\n=== ${name} ${args.join(' ')}`.trimEnd());
  const env = { ...process.env };
  const lines = jsonDir && path.join(jsonDir, `${name}.jsonl`);
  if (lines) env.UNIXPROC_BENCH_JSON = lines;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [...flagsOf(file), file, ...args], { cwd: root, stdio: ['ignore', out, 'inherit'], env });
  const ok = r.status === 0;
  if (!ok) {
    failed++;
    say(`!!! ${name} exited with ${r.status ?? r.signal ?? r.error?.message}`);
  }
  if (lines) {
    const figures = [];
    let text = '';
    try {
      text = fs.readFileSync(lines, 'utf8');
    } catch {
      // it recorded nothing
    }
    for (const l of text.split('\n')) {
      if (l.trim() === '') continue;
      try {
        const { bench: _bench, ...figure } = JSON.parse(l);
        figures.push(figure);
      } catch {
        figures.push({ name: 'unparsable line', error: l.slice(0, 200) });
      }
    }
    results.push({
      name: name.replace(/\.js$/, ''),
      args,
      ok,
      ...(ok ? {} : { exit: r.status ?? r.signal ?? r.error?.message ?? null }),
      seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
      figures,
    });
  }
}
if (jsonDir) {
  fs.rmSync(jsonDir, { recursive: true, force: true });
  const doc = {
    date: new Date().toISOString(),
    node: process.version,
    cores: os.cpus().length,
    loadavg: { before: loadBefore, after: os.loadavg() },
    env: { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS !== undefined },
    ok: failed === 0,
    benches: results,
  };
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}
process.exit(failed === 0 ? 0 : 1);
