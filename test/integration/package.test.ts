/**
 * The package as a user gets it: `npm pack`, installed into a scratch project, loaded
 * from CommonJS `require` and ESM `import`, type-checked from TypeScript, with the
 * prebuilt binaries (prebuildify: the N-API main addon and the fork addon built for this
 * Node's ABI, both tagged glibc) loaded and no compilation at install time: the install
 * runs with no compiler, make or python3 on PATH and CC/CXX set to false.
 *
 * The repo is copied first so that building and packing never touch the build/ and
 * dist/ that other test files are using at the same moment.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
let work: string;
let app: string;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-pack-'));
  const src = path.join(work, 'src');
  fs.mkdirSync(src);
  for (const entry of ['package.json', 'binding.gyp', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'native', 'lib', 'scripts', 'fork-addon']) {
    // fork-addon/build and fork-addon/prebuilds are the working tree's own builds.
    const own = (p: string): boolean => !['build', 'prebuilds'].includes(path.relative(path.join(root, 'fork-addon'), p));
    fs.cpSync(path.join(root, entry), path.join(src, entry), { recursive: true, filter: own });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));
  run('npm', ['run', 'prebuild', '--', '--host'], src);
  const tarball = run('npm', ['pack', '--silent'], src).trim().split('\n').pop() as string;
  app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const { status, stdout, stderr } = spawnSync(process.execPath, [npmCli(), 'install', '--prefer-offline', path.join(src, tarball)], {
    cwd: app,
    encoding: 'utf8',
    env: withoutCompilers(path.join(work, 'bin')),
  });
  if (status !== 0) throw new Error(`npm install without compilers failed (${status}):\n${stdout}${stderr}`);
}, 300_000);

// npm's own script (it runs under this node, found without PATH).
function npmCli(): string {
  return path.join(path.dirname(fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim())), 'npm-cli.js');
}

// An environment where nothing can be compiled: PATH holds only node and sh (npm runs
// install scripts with sh), CC and CXX are false, and no build from source is asked for.
function withoutCompilers(bin: string): NodeJS.ProcessEnv {
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, CC: '/bin/false', CXX: '/bin/false' };
  for (const key of Object.keys(env)) {
    if (/^npm_config_build_from_source$/i.test(key)) delete env[key];
  }
  Object.assign(env, { npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' });
  return env;
}

test('the install ran where no compiler, make or python3 could be found', () => {
  const env = withoutCompilers(path.join(work, 'bin-check'));
  const found = ['cc', 'gcc', 'g++', 'c++', 'make', 'python3'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { env }).status === 0,
  );
  expect(found).toEqual([]);
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function runNode(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the tarball ships both prebuilt binaries and installs without compiling', () => {
  const installed = path.join(app, 'node_modules', 'unixproc');
  const platform = `linux-${process.arch}`;
  expect(fs.readdirSync(path.join(installed, 'prebuilds', platform))).toEqual(['unixproc-shepherd', 'unixproc.glibc.node']);
  expect(fs.readdirSync(path.join(installed, 'fork-addon', 'prebuilds', platform))).toEqual([
    `node.abi${process.versions.modules}.glibc.node`,
  ]);
  expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  expect(fs.existsSync(path.join(installed, 'fork-addon', 'build'))).toBe(false);
  expect(fs.existsSync(path.join(installed, 'lib'))).toBe(false);
});

test('contain: subreaper from the installed package runs the prebuilt shepherd in front of the program', () => {
  const script =
    "const { spawn } = require('unixproc');" +
    "const child = spawn('/bin/sh', ['-c', 'exit 3'], { contain: 'subreaper' });" +
    'child.wait().then((s) => console.log(JSON.stringify([child.containment, child.pid !== child.programPid, s])));';
  const r = runNode(['-e', script], app);
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual(['subreaper', true, { kind: 'exited', code: 3 }]);
});

test('fork() from the installed package runs a child whose exit status the parent reaps', () => {
  const script =
    "const os = require('unixproc/os'); const pid = os.fork(); if (pid === 0) process.exit(7);" +
    'const [reaped, status] = os.waitpid(pid, 0); console.log(JSON.stringify([reaped === pid, os.WEXITSTATUS(status)]));';
  const r = runNode(['--single-threaded', '-e', script], app);
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual([true, 7]);
});

test('without a fork addon for this Node, fork() throws ERR_UNIXPROC_FORK_UNAVAILABLE and the rest works', () => {
  // The installed package as it is on a Node ABI it has no fork prebuild for.
  const copy = path.join(app, 'node_modules', 'unixproc-nofork');
  fs.cpSync(path.join(app, 'node_modules', 'unixproc'), copy, { recursive: true });
  fs.rmSync(path.join(copy, 'fork-addon', 'prebuilds'), { recursive: true });
  const script =
    "const os = require('unixproc-nofork/os'); let e; try { os.fork(); } catch (err) { e = err; }" +
    'console.log(JSON.stringify([e.code, e.message, os.getpid() === process.pid]));';
  const r = runNode(['--single-threaded', '-e', script], app);
  const [code, message, getpidWorks] = JSON.parse(r.stdout);
  expect(code).toBe('ERR_UNIXPROC_FORK_UNAVAILABLE');
  expect(message).toContain(`ABI ${process.versions.modules}`);
  expect(message).toContain('npm rebuild unixproc');
  expect(getpidWorks).toBe(true);
});

test('CommonJS require of unixproc/os and unixproc loads and calls the addon', () => {
  const out = run(
    'node',
    ['-e', "const os = require('unixproc/os'); const u = require('unixproc'); console.log(JSON.stringify([os.getpid(), process.pid, typeof u.isErrnoException, require.resolve('unixproc/os')]))"],
    app,
  );
  const [pid, selfPid, guard, resolved] = JSON.parse(out);
  expect(pid).toBe(selfPid);
  expect(guard).toBe('function');
  expect(resolved).toBe(path.join(app, 'node_modules', 'unixproc', 'dist', 'os', 'index.js'));
});

test('ESM import of unixproc/os and unixproc loads and calls the addon', () => {
  const out = run(
    'node',
    [
      '--input-type=module',
      '-e',
      "import { getpid, getsid } from 'unixproc/os'; import * as u from 'unixproc'; import os from 'unixproc/os'; import { readFileSync } from 'node:fs';" +
        'console.log(JSON.stringify([getpid(), process.pid, getsid(0) === Number(readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ")[3]), typeof u.isErrnoException, os.getpid === getpid]))',
    ],
    app,
  );
  expect(JSON.parse(out)).toEqual([expect.any(Number), expect.any(Number), true, 'function', true]);
  const [pid, selfPid] = JSON.parse(out);
  expect(pid).toBe(selfPid);
});

test('CommonJS require and ESM import of unixproc/resource load and call the addon (issue 13)', () => {
  const cjs = run('node', ['-e', "const r = require('unixproc/resource'); console.log(JSON.stringify([r.getrlimit(r.RLIMIT_NOFILE).length, r.RLIM_INFINITY, require.resolve('unixproc/resource')]))"], app);
  expect(JSON.parse(cjs)).toEqual([2, -1, path.join(app, 'node_modules', 'unixproc', 'dist', 'resource', 'index.js')]);
  const esm = run('node', ['--input-type=module', '-e', "import { getpagesize } from 'unixproc/resource'; import r from 'unixproc/resource'; console.log(JSON.stringify([getpagesize() > 0, r.getpagesize === getpagesize]))"], app);
  expect(JSON.parse(esm)).toEqual([true, true]);
});

test('CommonJS require and ESM import of unixproc/init start it and call the addon (issue 10)', () => {
  // An ordinary process (not PID 1, not a subreaper): active, reaping nothing.
  const expected = { active: true, pid1: false, reaping: false, reaped: 0, signals: [] };
  const cjs = run('node', ['-e', "require('unixproc/init'); console.log(JSON.stringify([require('unixproc/init').initStatus(), require.resolve('unixproc/init')]))"], app);
  expect(JSON.parse(cjs)).toEqual([expected, path.join(app, 'node_modules', 'unixproc', 'dist', 'init', 'index.js')]);
  const esm = run('node', ['--input-type=module', '-e', "import 'unixproc/init'; import { initStatus } from 'unixproc/init'; import init from 'unixproc/init'; console.log(JSON.stringify([initStatus(), init.initStatus === initStatus]))"], app);
  expect(JSON.parse(esm)).toEqual([expected, true]);
});

test('unixproc/prometheus from CommonJS and ESM: without prom-client register() says so; with it a registry gets the services (issue 14)', () => {
  const script = (loader: string): string =>
    `${loader} const sup = supervise('/bin/sleep', ['60'], { name: 'svc' }); let e; try { p.register(); } catch (err) { e = err.code; }` +
    " const up = p.collectServiceMetrics().find((f) => f.name === 'unixproc_service_up').samples;" +
    ' sup.terminate().then(() => console.log(JSON.stringify([e, up])));';
  const without = ['ERR_UNIXPROC_PROM_CLIENT_MISSING', [{ labels: { service: 'svc' }, value: 1 }]];
  const cjs = "const p = require('unixproc/prometheus'); const { supervise } = require('unixproc');";
  const esm = "import * as p from 'unixproc/prometheus'; import { supervise } from 'unixproc';";
  expect(JSON.parse(run('node', ['-e', script(cjs)], app))).toEqual(without);
  expect(JSON.parse(run('node', ['--input-type=module', '-e', script(esm)], app))).toEqual(without);
  expect(require.resolve('unixproc/prometheus', { paths: [app] })).toBe(path.join(app, 'node_modules', 'unixproc', 'dist', 'prometheus', 'index.js'));

  // The application installs prom-client (here the repo's own copy, linked in).
  const link = path.join(app, 'node_modules', 'prom-client');
  fs.symlinkSync(path.join(root, 'node_modules', 'prom-client'), link);
  try {
    const withClient =
      "import client from 'prom-client'; import { register } from 'unixproc/prometheus'; import { supervise } from 'unixproc';" +
      " const sup = supervise('/bin/sleep', ['60'], { name: 'svc' }); const registry = new client.Registry(); register(registry, { system: false });" +
      " registry.metrics().then(async (t) => { await sup.terminate(); console.log(JSON.stringify(t.split('\\n').filter((l) => l.startsWith('unixproc_service_up')))); });";
    expect(JSON.parse(run('node', ['--input-type=module', '-e', withClient], app))).toEqual(['unixproc_service_up{service="svc"} 1']);
  } finally {
    fs.unlinkSync(link);
  }
});

test('TypeScript sees the shipped types through the exports map', () => {
  fs.writeFileSync(
    path.join(app, 'check.ts'),
    [
      "import { getpid, getsid } from 'unixproc/os';",
      "import { isErrnoException } from 'unixproc';",
      'const pid: number = getpid();',
      'const sid: number = getsid(pid);',
      'const ok: boolean = isErrnoException(new Error());',
      '// @ts-expect-error getsid takes a number, not a string',
      "getsid('x');",
      'export { sid, ok };',
      '',
    ].join('\n'),
  );
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const out = run('node', [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), 'check.ts'], app);
  expect(out).toBe('');
});
