// `unixproc supervise --procfile` run as a real child process: named services in the file's
// order (each started once the previous one is ready), their lines prefixed, .env and PORT,
// --only, one SIGTERM stopping them all in reverse order, colour only on a terminal, and a
// Procfile that does not parse named by its line.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { spawn, type Subprocess } from '../../lib/spawn';
import { startLeakGuard, type LeakGuard } from '../../lib/guard';
import { listProcesses } from '../../lib/proc';
import { runCli } from '../helpers/cli-run';
import { LOADER, ROOT, listenersAtSpawn, readAll, waitFor } from '../helpers/supervise-helpers';
import { haveTmux, Tmux } from '../helpers/tmux';

const MAIN = join(ROOT, 'lib', 'cli', 'main.ts');

// This process is the subreaper of the services' trees: a service's shell that exits on
// SIGTERM orphans its `sleep 300 &`, which comes here and is killed with the service's
// cgroup. The guard reaps exactly those (by pid), so that none is left as a zombie of this
// jest worker, where a later test file's check (or os.wait()) would find it.
let guard: LeakGuard;
let dir: string;
beforeAll(() => {
  guard = startLeakGuard();
  dir = fs.mkdtempSync(join(os.tmpdir(), 'unixproc-procfile-'));
});
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await guard.cleanup();
  const zombieChildren = (): string[] =>
    listProcesses().flatMap((p) => (p.readable && p.ppid === process.pid && p.state.letter === 'Z' ? [`${p.pid} ${p.comm}`] : []));
  for (let i = 0; i < 100 && zombieChildren().length > 0; i++) {
    guard.reapAdopted();
    await new Promise((r) => setTimeout(r, 20));
  }
  guard.dispose();
  expect(zombieChildren()).toEqual([]);
});

let serial = 0;
/** Writes a Procfile (and a .env when given) in a directory of its own; returns the Procfile's path. */
function procfile(text: string, env?: string): string {
  const d = join(dir, String(++serial));
  fs.mkdirSync(d);
  fs.writeFileSync(join(d, 'Procfile'), text);
  if (env !== undefined) fs.writeFileSync(join(d, '.env'), env);
  return join(d, 'Procfile');
}

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Subprocess {
  return spawn(process.execPath, ['-r', LOADER, MAIN, 'supervise', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

/** A service that says `up`, then waits; on SIGTERM says `bye` and exits 0. */
const polite = "trap 'echo bye; exit 0' TERM; echo up; sleep 300 & wait";

interface Running {
  readonly p: Subprocess;
  out(): string;
  err(): string;
}

function follow(p: Subprocess): Running {
  let out = '';
  let err = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { p, out: () => out, err: () => err };
}

async function run(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | undefined; stdout: string; stderr: string }> {
  const p = cli(args, env);
  const [stdout, stderr, status] = await Promise.all([readAll(p.stdout), readAll(p.stderr), p.wait()]);
  return { code: status.kind === 'exited' ? status.code : undefined, stdout, stderr };
}

test('listens for SIGTERM and SIGINT before the first service starts (a signal during the start stops the tree, not the CLI)', async () => {
  const seen = await listenersAtSpawn(async () => {
    const r = await runCli(['supervise', '--procfile', procfile('one: exit 0\n')]);
    expect(r.code).toBe(0);
  });
  expect(seen.atSpawn.length).toBeGreaterThan(0);
  expect(seen.atSpawn[0]).toEqual({ SIGTERM: seen.before.SIGTERM + 1, SIGINT: seen.before.SIGINT + 1 });
  expect(seen.after).toEqual(seen.before);
});

test('starts the services in order, each once the previous is ready, and one SIGTERM stops them in reverse order', async () => {
  // fd 3 readiness: each service is ready once it wrote a newline to fd 3, after its `up`.
  const ready = "trap 'echo bye; exit 0' TERM; echo up; echo >&3; sleep 300 & wait";
  const file = procfile(`# three services\nweb: ${ready}\nworker: ${ready}\n\nclock: ${ready}\n`);
  const r = follow(cli(['--procfile', file, '--ready', 'fd:3', '--kill-grace-period', '20000']));
  try {
    await waitFor('three services up', () => /clock: ready/.test(r.err()), 30000);
  } finally {
    r.p.kill('SIGTERM');
  }
  const status = await r.p.wait();
  expect(status).toEqual({ kind: 'exited', code: 0 });
  const out = r.out().split('\n').filter(Boolean);
  // Names padded to the longest, no colour on a pipe.
  expect(out.slice(0, 3)).toEqual(['web    | up', 'worker | up', 'clock  | up']);
  expect(out.slice(3)).toEqual(['clock  | bye', 'worker | bye', 'web    | bye']);
  const log = r
    .err()
    .split('\n')
    .filter((l) => /: (started|ready|pid \d+ exited)/.test(l))
    .map((l) => l.replace(/ \(pid \d+\)| pid \d+/, '').replace(/^unixproc supervise: /, ''));
  expect(log).toEqual([
    'web: started',
    'web: ready',
    'worker: started',
    'worker: ready',
    'clock: started',
    'clock: ready',
    'clock: exited with code 0',
    'worker: exited with code 0',
    'web: exited with code 0',
  ]);
  expect(r.err()).toMatch(/SIGTERM: stopping 3 services in reverse order/);
}, 60000);

test('gives each service the .env variables, its PORT (5000 + 100 per line) and the Procfile directory as cwd', async () => {
  const file = procfile(
    'a: echo "a $GREETING $PORT $(pwd)"; exit 0\nb: echo "b $GREETING $PORT"; exit 0\n',
    "export GREETING='hello there'  \n# comment\n",
  );
  const r = await run(['--procfile', file, '--restart', 'never']);
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([`a | a hello there 5000 ${join(file, '..')}`, 'b | b hello there 5100']);
});

test('--only runs the named services, keeping their PORT; --port moves the base; stderr lines are prefixed on stderr', async () => {
  const file = procfile('a: echo a $PORT\nb: echo b $PORT; echo oops >&2\nc: echo c $PORT\n');
  const r = await run(['--procfile', file, '--restart', 'never', '--only', 'c,b', '--port', '7000']);
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n').filter(Boolean)).toEqual(['b | b 7100', 'c | c 7200']);
  expect(r.stderr.split('\n')).toContain('b | oops');
});

test('a service that ends well before it is ready lets the next start, and is not called ready', async () => {
  const ready = "trap 'exit 0' TERM; echo >&3; sleep 300 & wait";
  const file = procfile(`once: exit 0\nweb: ${ready}\n`);
  const r = follow(cli(['--procfile', file, '--ready', 'fd:3']));
  try {
    await waitFor('the tree ready', () => /services ready/.test(r.err()), 30000);
  } finally {
    r.p.kill('SIGTERM');
  }
  expect(await r.p.wait()).toEqual({ kind: 'exited', code: 0 });
  expect(r.err()).toMatch(/once: pid \d+ exited with code 0\n(.*\n)*unixproc supervise: web: ready\n/);
  expect(r.err()).toContain('1 of 2 services ready, the others have ended');
  expect(r.err()).not.toContain('all 2 services ready');
}, 60000);

test("exits with a service's non-zero code when nothing restarts it, and 1 when the start limit is reached", async () => {
  const never = await run(['--procfile', procfile('ok: exit 0\nbad: exit 4\n'), '--restart', 'never']);
  expect(never.code).toBe(4);
  const limit = await run(['--procfile', procfile('bad: exit 3\n'), '--backoff', '10', '--max-restarts', '2']);
  expect(limit.code).toBe(1);
  expect(limit.stderr).toMatch(/giving up: bad reached the start limit/);
});

test.each([
  ['web: ok\nworker bin/worker\n', /Procfile:2: not a 'name: command' line: 'worker bin\/worker'/],
  ['web: a\nweb: b\n', /Procfile:2: 'web' is already defined on line 1/],
  ['\n# empty\n', /Procfile:1: no 'name: command' line/],
])('a Procfile that does not parse exits 1 naming the line: %j', async (text, message) => {
  const r = await run(['--procfile', procfile(text)]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(message);
});

test('a .env line that does not parse, and a missing Procfile, exit 1 with a one-line message', async () => {
  const bad = await run(['--procfile', procfile('a: true\n', 'A=1\nnot a line\n')]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/\.env:2: not a 'KEY=value' line: 'not a line'/);
  const missing = await run(['--procfile', join(dir, 'nowhere', 'Procfile')]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/nowhere\/Procfile: cannot read the Procfile: ENOENT/);
});

test.each([
  [['--procfile', 'P', '--', 'true'], /give no command after --/],
  [['--only', 'a', '--', 'true'], /--only goes with --procfile/],
  [['--procfile', 'P', '--name', 'x'], /--name does not apply/],
  [['--procfile', 'P', '--port', '70000'], /--port must be a port number/],
  [['--procfile', 'P', '--only', 'a,,b'], /--only must be a comma-separated list/],
])('a usage error exits 2: %j', async (args, message) => {
  const r = await run(args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
});

test('--only with a name the Procfile does not have is a usage error listing the names it has', async () => {
  const r = await run(['--procfile', procfile('web: true\nworker: true\n'), '--only', 'web,wrker']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--only: no process type 'wrker' in .*Procfile \(it has web, worker\)/);
});

(haveTmux ? describe : describe.skip)('on a terminal', () => {
  test('prefixes are coloured, not under NO_COLOR, and one Ctrl-C stops every service', async () => {
    const file = procfile(`web: ${polite}\nworker: ${polite}\n`);
    const tmux = new Tmux(80, 24);
    await tmux.start({ ...process.env, PS1: 'utop$ ' });
    try {
      const cmd = `${process.execPath} -r ${LOADER} ${MAIN} supervise --procfile ${file}`;
      tmux.type(cmd);
      await tmux.waitFor('both up', (s) => (s.match(/\| up/g) ?? []).length === 2, 30000);
      const coloured = tmux.capture(true).join('\n');
      expect(coloured).toMatch(/\x1b\[36mweb {4}\| (\x1b\[0?m|\x1b\[39m)up/);
      expect(coloured).toMatch(/\x1b\[33mworker \| (\x1b\[0?m|\x1b\[39m)up/);
      tmux.send('C-c');
      await tmux.waitFor('the prompt again', (s) => /web {4}\| bye[\s\S]*^utop\$\s*$/m.test(s), 30000);
      tmux.type('clear');
      tmux.type(`NO_COLOR=1 ${cmd} --only worker`);
      await tmux.waitFor('worker up', (s) => /worker \| up/.test(s), 30000);
      expect(tmux.capture(true).join('\n')).toMatch(/^worker \| up$/m);
      tmux.send('C-c');
      await tmux.waitFor('the prompt again', (s) => /worker \| bye[\s\S]*^utop\$\s*$/m.test(s), 30000);
    } finally {
      await tmux.kill();
    }
  }, 90000);
});
