// Issue 8, defect 5: a live process whose main thread has exited (pthread_exit) while
// another thread runs shows State Z in /proc/<pid>/stat, with num_threads 2. It is alive
// (it can be signalled, wait(2) cannot reap it), so the readers must not call it a zombie:
// findZombies() leaves it out, isRunning() says true, and `unixproc zombies` exits 0.
// The fixture is a real process: a C program compiled here.
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findZombies, getProcess, isRunning } from '../../lib/proc';
import { waitFor } from '../helpers/proc-spawn';

const REPO = path.join(__dirname, '..', '..');

const SOURCE = `
#include <pthread.h>
#include <unistd.h>
static void* worker(void* arg) {
  (void)arg;
  for (;;) pause();
  return 0;
}
int main(void) {
  pthread_t t;
  if (pthread_create(&t, 0, worker, 0) != 0) return 1;
  pthread_exit(0); /* the main thread ends; the process lives on in the worker */
}
`;

let dir: string;
let binary: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-mainexit-'));
  fs.writeFileSync(path.join(dir, 'main-exit.c'), SOURCE);
  binary = path.join(dir, 'main-exit');
  execFileSync('cc', ['-O0', '-pthread', '-o', binary, path.join(dir, 'main-exit.c')]);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** State and Threads lines of /proc/<pid>/status ("Z (zombie)", "2"), or undefined. */
function statusOf(pid: number): { state: string; threads: string } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return { state: /^State:\s+(.*)$/m.exec(text)![1], threads: /^Threads:\s+(\d+)$/m.exec(text)![1] };
  } catch {
    return undefined;
  }
}

describe('a process whose main thread exited while another runs', () => {
  let child: ChildProcess;
  let exited: Promise<void>;

  beforeEach(async () => {
    child = spawn(binary, [], { stdio: 'ignore' });
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor('the main thread to exit', () => statusOf(child.pid!)?.state.startsWith('Z') === true);
  });

  afterEach(async () => {
    child.kill('SIGKILL');
    await exited; // child_process reaps it
  });

  test('is really in State Z with 2 threads (the fixture does what it should)', () => {
    expect(statusOf(child.pid!)).toEqual({ state: 'Z (zombie)', threads: '2' });
    const p = getProcess(child.pid!);
    expect([p?.state.letter, p?.numThreads]).toEqual(['Z', 2]);
  });

  test('findZombies() does not list it', () => {
    const pids = findZombies().flatMap((g) => g.zombies.map((z) => z.pid));
    expect(pids).not.toContain(child.pid);
  });

  test('isRunning() says true', () => {
    const p = getProcess(child.pid!)!;
    expect(isRunning({ pid: p.pid, startTime: p.startTime })).toBe(true);
  });
});

test('unixproc zombies exits 0 ("no zombies") while such a process is the only suspect', () => {
  // In a new pid namespace with its own /proc, so that zombies elsewhere on the machine do
  // not count; sh is its PID 1, and everything in it ends with it.
  const script = `
${JSON.stringify(binary)} &
pid=$!
while ! grep -q '^State:.Z' /proc/$pid/status; do sleep 0.01; done
grep -E '^(State|Threads):' /proc/$pid/status | tr '\\t' ' '
${JSON.stringify(process.execPath)} -r ${JSON.stringify(path.join(REPO, 'test', 'helpers', 'ts-register.js'))} ${JSON.stringify(path.join(REPO, 'lib', 'cli', 'main.ts'))} zombies
echo "exit $?"
kill -9 $pid
wait $pid 2>/dev/null
echo "reaped $?"
`;
  const r = spawnSync('unshare', ['-fp', '--mount-proc', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  expect(r.stdout).toBe('State: Z (zombie)\nThreads: 2\nno zombies\nexit 0\nreaped 137\n');
});
