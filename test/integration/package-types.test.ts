/**
 * The types of the packed tarball, as a TypeScript user gets them (issue 9, item 4):
 * @arethetypeswrong/cli finds no problem for any entry point, and small TypeScript projects
 * that install the tarball type-check and run under every moduleResolution a user may have
 * (node10, node16 from CommonJS and from ESM, bundler). A default import compiled to
 * CommonJS is rejected by the type checker instead of crashing at run time.
 *
 * Only JavaScript and types are looked at here, so the tarball is packed without prebuilt
 * binaries (UNIXPROC_PACK_WITHOUT_PREBUILDS=1, see scripts/prepack-check.js) and installed
 * without install scripts; what runs is pure JavaScript (no addon is loaded).
 * test/integration/package.test.ts checks the real tarball with its binaries.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, copyPackage, npm } from '../helpers/scratch-package';

const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const ATTW = path.join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');

let work: string;
let tarball: string;
let app: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-types-'));
  const src = path.join(work, 'src');
  fs.mkdirSync(src);
  copyPackage(src);
  // npm pack runs prepack (the prebuilds check, waived here) and prepare (npm run build:ts).
  const name = npm(['pack', '--silent'], src, { UNIXPROC_PACK_WITHOUT_PREBUILDS: '1' }).trim().split('\n').pop() as string;
  tarball = path.join(src, name);
  app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  npm(['install', '--prefer-offline', '--ignore-scripts', tarball], app);
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function node(args: string[], cwd: string): Result {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A TypeScript project in app/<name> (so it resolves app/node_modules/unixproc), compiled. */
function compile(name: string, compilerOptions: Record<string, unknown>, files: Record<string, string>, type?: 'module'): Result {
  const dir = path.join(app, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  if (type !== undefined) fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type }));
  const tsconfig = {
    compilerOptions: {
      strict: true,
      skipLibCheck: false, // the shipped declarations must compile too
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      target: 'ES2022',
      outDir: 'out',
      ...compilerOptions,
    },
    files: Object.keys(files),
  };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  return node([TSC, '-p', dir], dir);
}

/**
 * Uses a value and a type from each of `.`, `./os` and `./resource`, and a type from every
 * other entry (unixproc/init only by type: importing it starts it, and these installs have
 * no addon).
 */
const USAGE = [
  "import { isErrnoException, decodeWaitStatus } from 'unixproc';",
  "import type { ExitStatus } from 'unixproc';",
  "import * as os from 'unixproc/os';",
  "import { WEXITSTATUS } from 'unixproc/os';",
  "import { getrlimit, RLIMIT_NOFILE, RLIM_INFINITY, type Limits } from 'unixproc/resource';",
  "import type { NodeTestLeakGuardOptions } from 'unixproc/node-test';",
  "type Setup = typeof import('unixproc/jest/global-setup');",
  "type Teardown = typeof import('unixproc/jest/global-teardown');",
  "type Register = typeof import('unixproc/node-test/register');",
  "import type { InitStatus } from 'unixproc/init';",
  "type InitStatusOf = typeof import('unixproc/init').initStatus;",
  'const status: ExitStatus = decodeWaitStatus(3 << 8);',
  'const options: NodeTestLeakGuardOptions = { kill: true };',
  'const setup: Setup | Teardown | undefined = undefined;',
  'const register: Register | undefined = undefined;',
  'const limits: Limits = [RLIMIT_NOFILE, RLIM_INFINITY];',
  "const init: InitStatus['signals'] = ['SIGTERM'];",
  'const initStatusOf: InitStatusOf | undefined = undefined;',
  'export function misuse(): void {',
  '  // @ts-expect-error WEXITSTATUS takes a number',
  "  WEXITSTATUS('768');",
  '  // @ts-expect-error getrlimit takes a number',
  "  getrlimit('7');",
  '  // @ts-expect-error InitStatus.reaped is a number',
  "  const reaped: InitStatus['reaped'] = 'none';",
  '  return void reaped;',
  '}',
  'console.log(JSON.stringify([isErrnoException(new Error()), WEXITSTATUS(3 << 8), os.WIFEXITED(0), status, options.kill, setup, register, limits, init, initStatusOf]));',
  '',
].join('\n');
const USAGE_PRINTS = [false, 3, true, { kind: 'exited', code: 3 }, true, null, null, [7, -1], ['SIGTERM'], null];

/** The same from ESM, with default imports, which the .mjs entry points provide. */
const ESM_USAGE = [
  USAGE,
  "import unixproc from 'unixproc';",
  "import osDefault from 'unixproc/os';",
  "import resourceDefault from 'unixproc/resource';",
  'console.log(JSON.stringify([unixproc.isErrnoException === isErrnoException, osDefault.WEXITSTATUS === WEXITSTATUS, resourceDefault.getrlimit === getrlimit]));',
  '',
].join('\n');

function expectCompiledAndRan(compiled: Result, dir: string, main: string, prints: unknown[][]): void {
  expect({ status: compiled.status, out: compiled.stdout + compiled.stderr }).toEqual({ status: 0, out: '' });
  const ran = node([path.join(app, dir, 'out', main)], path.join(app, dir));
  expect(ran.stderr).toBe('');
  expect(ran.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual(prints);
}

test('@arethetypeswrong/cli finds no problem in the tarball, for every entry point', () => {
  const r = node([ATTW, tarball, '--format', 'json'], work);
  const { analysis, problems } = JSON.parse(r.stdout);
  expect(Object.keys(analysis.entrypoints).sort()).toEqual(
    ['.', './os', './resource', './init', './prometheus', './jest/global-setup', './jest/global-teardown', './jest/environment', './vitest', './vitest/setup', './vitest/global-setup', './node-test', './node-test/register', './package.json'].sort(),
  );
  expect(problems).toEqual({});
  expect(r.status).toBe(0);
});

test('moduleResolution node10 (CommonJS) resolves unixproc, unixproc/os and the integration entry points', () => {
  const r = compile('node10', { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true }, { 'main.ts': USAGE });
  expectCompiledAndRan(r, 'node10', 'main.js', [USAGE_PRINTS]);
});

test('moduleResolution node16 from CommonJS type-checks and runs', () => {
  const r = compile('node16-cjs', { module: 'node16', moduleResolution: 'node16' }, { 'main.ts': USAGE });
  expectCompiledAndRan(r, 'node16-cjs', 'main.js', [USAGE_PRINTS]);
});

test('moduleResolution nodenext from ESM type-checks and runs, default imports included', () => {
  const r = compile('nodenext-esm', { module: 'nodenext', moduleResolution: 'nodenext' }, { 'main.mts': ESM_USAGE });
  expectCompiledAndRan(r, 'nodenext-esm', 'main.mjs', [USAGE_PRINTS, [true, true, true]]);
});

test('moduleResolution bundler type-checks (and the ESM it emits runs under node)', () => {
  const r = compile('bundler', { module: 'esnext', moduleResolution: 'bundler' }, { 'main.ts': ESM_USAGE }, 'module');
  expectCompiledAndRan(r, 'bundler', 'main.js', [USAGE_PRINTS, [true, true, true]]);
});

/**
 * "Masquerading": a default import compiled to CommonJS must either be refused by tsc or work
 * at run time; type-checking and then finding `unixproc_1.default` undefined is the bug.
 */
test.each([
  ['node10', { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true }],
  ['node16', { module: 'node16', moduleResolution: 'node16' }],
])('import unixproc from "unixproc" compiled to CommonJS (%s) does not type-check into a crash', (name, options) => {
  const dir = `default-${name}`;
  const source = [
    "import unixproc from 'unixproc';",
    "import unixos from 'unixproc/os';",
    'console.log(typeof unixproc.isErrnoException, typeof unixos.WEXITSTATUS);',
    '',
  ].join('\n');
  const compiled = compile(dir, options, { 'main.ts': source });
  if (compiled.status === 0) {
    const ran = node([path.join(app, dir, 'out', 'main.js')], path.join(app, dir));
    expect({ stdout: ran.stdout, stderr: ran.stderr }).toEqual({ stdout: 'function function\n', stderr: '' });
  } else {
    // TS1192: Module '"…"' has no default export.
    expect(compiled.stdout.match(/error TS\d+/g)).toEqual(['error TS1192', 'error TS1192']);
    expect(compiled.stdout).toContain('unixproc/dist/index');
    expect(compiled.stdout).toContain('unixproc/dist/os/index');
  }
});

/** Names that lib/ exports with an `@internal` TSDoc tag on the declaration itself. */
function internalNames(): string[] {
  const declaration = /\/\*\*(?:(?!\*\/)[\s\S])*@internal\s*\*\/\s*export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|enum)\s+(\w+)/g;
  const files = (fs.readdirSync(path.join(ROOT, 'lib'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  return files.flatMap((f) => [...fs.readFileSync(path.join(ROOT, 'lib', f), 'utf8').matchAll(declaration)].map((m) => m[1]));
}

/** The names an ESM declaration file (generated by scripts/gen-esm.js) exports. */
function exportedNames(dmts: string): string[] {
  const text = fs.readFileSync(dmts, 'utf8');
  return [...text.matchAll(/^export (?:type )?\{([^}]*)\}/gm)].flatMap((m) => m[1].split(',').map((n) => n.trim()).filter(Boolean));
}

test('no @internal declaration is in the types of unixproc, unixproc/os, unixproc/resource or unixproc/init (stripInternal)', () => {
  const internal = internalNames();
  expect(internal.length).toBeGreaterThan(0);
  const esm = path.join(app, 'node_modules', 'unixproc', 'dist', 'esm');
  for (const entry of ['index.d.mts', 'os.d.mts', 'resource.d.mts']) {
    const names = exportedNames(path.join(esm, entry));
    expect([entry, names.length > 10]).toEqual([entry, true]);
    expect([entry, names.filter((n) => internal.includes(n))]).toEqual([entry, []]);
  }
  expect(exportedNames(path.join(esm, 'init.d.mts'))).toEqual(['initStatus', 'InitStatus']);
  // The rest of lib/init is internal: its declarations ship, but with nothing exported.
  const reaper = fs.readFileSync(path.join(app, 'node_modules', 'unixproc', 'dist', 'init', 'reaper.d.ts'), 'utf8');
  expect(reaper).not.toMatch(/export declare/);
});
