/**
 * Every code block in README.md and docs/*.md runs as written (issue 9, item 5), with the
 * conventions of CONTRIBUTING.md ("Code blocks in the docs"):
 * - ```js runs under node (as .mjs when it has import/export lines, else .cjs), ```ts is
 *   type-checked with tsc against the package's shipped types and then run, ```sh runs under
 *   `bash -e -o pipefail`; ```text and unlabelled blocks are output or usage, not run;
 * - `<!-- shape-only -->` before a block: a fragment that shows a shape, only parsed (js/ts by
 *   TypeScript, sh by bash -n); `<!-- not-run: reason -->`: complete, but not runnable here
 *   (the reason says why), parsed too;
 * - `console.log(...); // text` says what that line prints; a ```text block right after a
 *   block is its whole output. `<pid>` and `<n>` stand for any integer, `<...>` for any text.
 *
 * The blocks run in a scratch project, as a user's would: `unixproc` in its node_modules is
 * a fresh build of this tree (the addons are the tree's build/), `npx unixproc` is its bin,
 * and the project has the files the examples name (server.js, an `npm test` script). Each
 * block runs under `unixproc guard`, so a block that leaves a process behind fails.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { ROOT, copyPackage, npm } from '../helpers/scratch-package';

type Lang = 'js' | 'ts' | 'sh';
type Mode = 'run' | 'shape-only' | 'not-run';

interface Block {
  readonly id: string; // page:line of the opening fence
  readonly lang: string;
  readonly code: string;
  readonly mode: Mode;
  readonly reason?: string;
  /** Lines the block's stdout must contain in this order (from `// text` after console.log). */
  readonly prints: readonly string[];
  /** The block's whole stdout, when a ```text block follows it. */
  readonly output?: string;
}

const LEAK_EXIT_CODE = 97;
const PAGES = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** The fenced blocks of a page with their markers and expected output. */
function blocksOf(page: string): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, page), 'utf8').split('\n');
  const fences: { line: number; lang: string; body: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    fences.push({ line: start, lang: open[1], body });
  }
  return fences.map((f, k) => {
    let j = f.line - 1;
    while (j >= 0 && lines[j].trim() === '') j--;
    const marker = j >= 0 ? /^<!-- (shape-only|not-run)(?:: (.+?))? -->$/.exec(lines[j].trim()) : null;
    const next = fences[k + 1];
    const between = next ? lines.slice(f.line + f.body.length + 2, next.line) : [];
    const output = next?.lang === 'text' && between.every((l) => l.trim() === '') ? next.body.join('\n') : undefined;
    const prints = f.body
      .map((l) => /console\.log\(.*\);?\s*\/\/ (?:prints )?(.+)$/.exec(l)?.[1].trim())
      .filter((p): p is string => p !== undefined);
    return {
      id: `${page}:${f.line + 1}`,
      lang: f.lang,
      code: `${f.body.join('\n')}\n`,
      mode: (marker?.[1] as Mode | undefined) ?? 'run',
      reason: marker?.[2],
      prints,
      output,
    };
  });
}

const ALL = PAGES.flatMap(blocksOf);
const CODE = ALL.filter((b): b is Block & { lang: Lang } => ['js', 'ts', 'sh'].includes(b.lang));
const RUN = CODE.filter((b) => b.mode === 'run');

/** A line of expected output as a regular expression over one whole line. */
function linePattern(expected: string): RegExp {
  const parts = expected.split(/(<pid>|<n>|<\.\.\.>)/);
  const re = parts
    .map((p) => (p === '<pid>' || p === '<n>' ? '\\d+' : p === '<...>' ? '.*' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`);
}

/** The expected lines that do not appear in `stdout` in order (empty: all found). */
function missingInOrder(stdout: string, expected: readonly string[]): string[] {
  const lines = stdout.split('\n');
  let at = 0;
  const missing: string[] = [];
  for (const e of expected) {
    const re = linePattern(e);
    const found = lines.findIndex((l, i) => i >= at && re.test(l));
    if (found < 0) missing.push(e);
    else at = found + 1;
  }
  return missing;
}

let work: string;
let project: string;
let cli: string;
const typeErrors = new Map<string, string[]>();

function fileOf(block: Block): string {
  const base = block.id.replace(/[/:.]/g, '_');
  if (block.lang === 'ts') return `${base}.mts`;
  if (block.lang === 'sh') return `${base}.sh`;
  return /^\s*(import|export)\s/m.test(block.code) ? `${base}.mjs` : `${base}.cjs`;
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-docs-'));
  const pkg = path.join(work, 'unixproc');
  fs.mkdirSync(pkg);
  copyPackage(pkg);
  for (const build of ['build', 'fork-addon/build']) fs.symlinkSync(path.join(ROOT, build), path.join(pkg, build));
  npm(['run', 'build:ts'], pkg);
  cli = path.join(pkg, 'dist', 'cli', 'main.js');
  fs.chmodSync(cli, 0o755);

  project = path.join(work, 'project');
  fs.mkdirSync(path.join(project, 'node_modules', '.bin'), { recursive: true });
  fs.symlinkSync(pkg, path.join(project, 'node_modules', 'unixproc'));
  fs.symlinkSync(cli, path.join(project, 'node_modules', '.bin', 'unixproc'));
  // prom-client, which the unixproc/prometheus examples (docs/prometheus.md) install beside unixproc.
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'prom-client'), path.join(project, 'node_modules', 'prom-client'));
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'docs-project', version: '1.0.0', private: true, scripts: { test: 'node -e "process.exit(0)"' } }),
  );
  // The server the supervise examples run: serves until SIGTERM ends it.
  fs.writeFileSync(path.join(project, 'server.js'), "require('node:http').createServer((q, s) => s.end('ok')).listen(0);\n");

  const tsBlocks = RUN.filter((b) => b.lang === 'ts');
  for (const b of RUN) fs.writeFileSync(path.join(project, fileOf(b)), b.code);
  fs.writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'ES2022',
        strict: true,
        types: ['node'],
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        outDir: 'out',
      },
      files: tsBlocks.map(fileOf),
    }),
  );
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], {
    cwd: project,
    encoding: 'utf8',
  });
  for (const line of tsc.stdout.split('\n')) {
    const file = /^(\S+\.mts)\(\d+,\d+\): error/.exec(line)?.[1];
    if (file) typeErrors.set(file, [...(typeErrors.get(file) ?? []), line]);
  }
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function runBlock(block: Block): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const file = fileOf(block);
  const command =
    block.lang === 'sh'
      ? ['bash', '-e', '-o', 'pipefail', file]
      : [process.execPath, block.lang === 'ts' ? path.join('out', file.replace(/\.mts$/, '.mjs')) : file];
  const r = spawnSync(process.execPath, [cli, 'guard', '--leak-exit-code', String(LEAK_EXIT_CODE), '--', ...command], {
    cwd: project,
    encoding: 'utf8',
    timeout: 60_000,
    killSignal: 'SIGKILL',
    env: { ...process.env, PATH: `${path.join(project, 'node_modules', '.bin')}:${process.env.PATH}` },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('the code blocks of README.md and docs/*.md', () => {
  test('are found, and each is js, ts, sh, text or unlabelled (output and usage)', () => {
    expect(CODE.length).toBeGreaterThan(10);
    expect(RUN.length).toBeGreaterThan(5);
    expect(ALL.filter((b) => !['js', 'ts', 'sh', 'text', ''].includes(b.lang)).map((b) => `${b.id} ${b.lang}`)).toEqual([]);
  });

  test('a not-run marker says why', () => {
    expect(CODE.filter((b) => b.mode === 'not-run' && !b.reason).map((b) => b.id)).toEqual([]);
  });

  test('the expected-output matcher reads placeholders and order', () => {
    expect(missingInOrder('a 12\nb x y\nc', ['a <pid>', 'c'])).toEqual([]);
    expect(missingInOrder('c\na 12', ['a <n>', 'c'])).toEqual(['c']);
    expect(missingInOrder('b x y', ['b <...>'])).toEqual([]);
    expect(missingInOrder('b (x)', ['b (y)'])).toEqual(['b (y)']);
  });

  test.each(CODE.filter((b) => b.mode !== 'run').map((b) => [b.id, b] as const))('%s (shape-only or not-run) at least parses', (_id, block) => {
    if (block.lang === 'sh') {
      expect(spawnSync('bash', ['-n'], { input: block.code, encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
      return;
    }
    const out = ts.transpileModule(block.code, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext } });
    expect((out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  });

  test.each(RUN.map((b) => [b.id, b] as const))('%s runs as written, leaves no process behind and prints what the page shows', (_id, block) => {
    if (block.lang === 'ts') expect(typeErrors.get(fileOf(block)) ?? []).toEqual([]);
    const r = runBlock(block);
    expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(missingInOrder(r.stdout, block.prints)).toEqual([]);
    if (block.output !== undefined) {
      const expected = block.output.split('\n');
      const actual = r.stdout.replace(/\n$/, '').split('\n');
      expect(actual.length === expected.length && expected.every((e, i) => linePattern(e).test(actual[i])) ? expected : actual).toEqual(expected);
    }
  });
});
