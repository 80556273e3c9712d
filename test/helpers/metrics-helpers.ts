// Helpers of the `unixproc metrics` tests: a zombie holder with a chosen command name, the
// exporter started as the real bin (listening on a free port it reports), and HTTP GET.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { PYTHON, spawnReporter, stateLetter, waitFor } from './proc-spawn';

const ROOT = path.join(__dirname, '..', '..');

// Names itself (prctl PR_SET_NAME: the comm), forks N children that exit at once, and
// waits for them only when stdin says so.
const HOLDER = `
import ctypes, os, sys
name = bytes.fromhex(sys.argv[1])
if ctypes.CDLL(None, use_errno=True).prctl(15, ctypes.c_char_p(name), 0, 0, 0) != 0:
    sys.exit('prctl failed')
pids = []
for _ in range(int(sys.argv[2])):
    p = os.fork()
    if p == 0:
        os._exit(0)
    pids.append(p)
for p in pids:
    print(p, flush=True)
sys.stdin.readline()
for p in pids:
    os.waitpid(p, 0)
print('reaped', flush=True)
sys.stdin.readline()
`;

/** A process holding `count` real zombies, named `comm`. */
export interface ZombieHolder {
  readonly pid: number;
  readonly zombies: readonly number[];
  /** Makes it wait for its zombies (resolves once they are reaped). */
  reap(): Promise<void>;
  /** Reaps if not done, then ends the holder and waits for its exit. */
  end(): Promise<void>;
}

/** Starts a holder named with the bytes of `comm` (at most 15) and waits for its zombies. */
export async function holdZombies(comm: Buffer, count: number): Promise<ZombieHolder> {
  const r = spawnReporter(PYTHON, ['-c', HOLDER, comm.toString('hex'), String(count)]);
  const zombies = (await r.lines(count)).map(Number);
  await waitFor(`${count} zombies`, () => zombies.every((z) => stateLetter(z) === 'Z'));
  let reaped = false;
  const reap = async (): Promise<void> => {
    if (reaped) return;
    reaped = true;
    r.child.stdin?.write('\n');
    await r.lines(count + 1);
  };
  return {
    pid: r.child.pid as number,
    zombies,
    reap,
    async end() {
      await reap();
      r.child.stdin?.end();
      await r.exited();
    },
  };
}

/** A free TCP port on 127.0.0.1 (bound and released: another process may take it, rarely). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The exporter, started as the real bin. */
export interface Exporter {
  readonly child: ChildProcess;
  readonly port: number;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then its exit code (it is reaped by child_process). */
  stop(): Promise<number | null>;
}

/** The argv that runs the real bin from the sources. */
export function binArgv(args: readonly string[]): string[] {
  return ['-r', path.join(ROOT, 'test', 'helpers', 'ts-register.js'), path.join(ROOT, 'lib', 'cli', 'main.ts'), ...args];
}

/** Starts `unixproc metrics --listen 127.0.0.1:0 <args>` and waits for the port it serves on. */
export async function startExporter(args: readonly string[] = []): Promise<Exporter> {
  const child = spawn(process.execPath, binArgv(['metrics', '--listen', '127.0.0.1:0', ...args]), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  let port = 0;
  let exited = false;
  void exit.then(() => (exited = true));
  await waitFor('the exporter to listen', () => {
    const m = /serving http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(err);
    if (m !== null) port = Number(m[1]);
    return port !== 0 || exited;
  }, 20_000);
  if (port === 0) throw new Error(`the exporter did not start: ${err}`);
  return {
    child,
    port,
    stderr: () => err,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      return exit;
    },
  };
}

/** One HTTP response. */
export interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** An HTTP request to 127.0.0.1:`port`. */
export function get(port: number, urlPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `promtool check metrics` on `text`: its exit status and what it printed. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
