// The bin's stdout on a pipe or a file is written with write(2) directly (lib/cli/stdio.ts),
// not through process.stdout. What must hold whatever the descriptor: the output complete
// and in order, also on a non-blocking pipe that fills up (EAGAIN: the rest goes through
// Node's stream, which waits), and on a regular file. (A closed pipe, EPIPE, is in
// cli-proc.test.ts.)
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PYTHON } from '../helpers/proc-spawn';

const ROOT = path.join(__dirname, '..', '..');
const BIN = ['-r', path.join(ROOT, 'test', 'helpers', 'ts-register.js'), path.join(ROOT, 'lib', 'cli', 'main.ts')];

// A pipe made non-blocking with a 4 KiB buffer, read only after a pause, so the bin's
// writes hit EAGAIN; prints what came through, then the bin's exit status.
const NONBLOCKING = `
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(0.5)
chunks = []
while True:
    b = os.read(r, 65536)
    if not b:
        break
    chunks.append(b)
code = p.wait()
sys.stdout.buffer.write(b"".join(chunks))
sys.stdout.write("exit %d\\n" % code)
`;

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-stdio-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function wellFormed(text: string, sleeperPids: readonly number[]): void {
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(lines[0]).toMatch(/^\s*PID\s+PPID\s/);
  const pids = lines.slice(1).map((l) => Number(/^\s*(\d+)\s/.exec(l)?.[1]));
  expect(pids.every((p) => Number.isInteger(p))).toBe(true);
  expect([...pids].sort((a, b) => a - b)).toEqual(pids); // in order: nothing reordered at the switch
  for (const p of sleeperPids) expect(pids).toContain(p);
}

test('a non-blocking pipe that fills up gets the whole table, in order', async () => {
  const kids = Array.from({ length: 200 }, () => spawn('sleep', ['600'], { stdio: 'ignore' }));
  try {
    await Promise.all(kids.map((k) => new Promise((r) => k.once('spawn', r))));
    const r = spawnSync(PYTHON, ['-c', NONBLOCKING, process.execPath, ...BIN, 'ps', '-e', '--cmdline'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      timeout: 60000,
    });
    expect(r.status).toBe(0);
    const at = r.stdout.lastIndexOf('exit ');
    expect(r.stdout.slice(at)).toBe('exit 0\n');
    const table = r.stdout.slice(0, at);
    expect(table.length).toBeGreaterThan(4096 * 2);
    wellFormed(table, kids.map((k) => k.pid!));
  } finally {
    await Promise.all(kids.map((k) => new Promise((r) => (k.once('exit', r), k.kill('SIGKILL')))));
  }
});

test('a regular file gets the table, and stderr its errors', () => {
  const out = path.join(work, 'ps.txt');
  const err = path.join(work, 'err.txt');
  const o = fs.openSync(out, 'w');
  const e = fs.openSync(err, 'w');
  try {
    const ok = spawnSync(process.execPath, [...BIN, 'ps', '-e'], { cwd: ROOT, stdio: ['ignore', o, e], timeout: 60000 });
    expect(ok.status).toBe(0);
    const bad = spawnSync(process.execPath, [...BIN, 'ps', '--no-such-option'], { cwd: ROOT, stdio: ['ignore', o, e], timeout: 60000 });
    expect(bad.status).toBe(2);
  } finally {
    fs.closeSync(o);
    fs.closeSync(e);
  }
  wellFormed(fs.readFileSync(out, 'utf8'), [process.pid]);
  expect(fs.readFileSync(err, 'utf8')).toMatch(/no-such-option/);
});
