// forkpty() from a process whose own stdout is a terminal: the child's process.stdout must
// write to the new pseudo-terminal, not to the parent's terminal. The parent runs on a
// terminal of its own, made by python3's pty.fork.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const havePython = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;
const withPty = havePython ? test : test.skip;
if (!havePython) console.warn('python3 with the pty module not found: the forkpty terminal test is skipped');

// Runs `node --single-threaded <script> <result>` on a new pty, drains that terminal into
// <result>.outer, and exits with node's exit code.
const PTY_PARENT = `
import os, pty, sys
node, script, result = sys.argv[1:4]
pid, master = pty.fork()
if pid == 0:
    os.execv(node, [node, '--single-threaded', script, result])
out = b''
while True:
    try:
        d = os.read(master, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, status = os.waitpid(pid, 0)
open(result + '.outer', 'wb').write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;

const SCRIPT = `
require(${JSON.stringify(path.join(ROOT, 'test/helpers/ts-register.js'))});
const fs = require('node:fs');
const { forkpty } = require(${JSON.stringify(path.join(ROOT, 'lib/os/fork.ts'))});
const { reap } = require(${JSON.stringify(path.join(ROOT, 'test/fixtures/fork/reap.js'))});
process.stdout.write('parent-isTTY=' + process.stdout.isTTY + '\\n'); // the stream exists before the fork
const [pid, master] = forkpty();
if (pid === 0) {
  process.stdout.write('child-via-process.stdout\\n');
  process.stderr.write('child-via-process.stderr\\n');
  process.exit(0);
}
let text = '';
const buf = Buffer.alloc(4096);
for (;;) {
  let n;
  try { n = fs.readSync(master, buf); } catch (e) { if (e.code === 'EIO') break; throw e; }
  if (n === 0) break;
  text += buf.subarray(0, n).toString();
}
const r = reap(pid);
fs.writeFileSync(process.argv[2], JSON.stringify({ ...r, text }));
`;

withPty("the forkpty child's process.stdout and stderr write to the new terminal, not the parent's", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-forkpty-'));
  try {
    const script = path.join(dir, 'script.js');
    const result = path.join(dir, 'result.json');
    fs.writeFileSync(script, SCRIPT);
    const r = spawnSync('python3', ['-c', PTY_PARENT, process.execPath, script, result], { encoding: 'utf8', timeout: 30000 });
    expect(r.status).toBe(0);
    const got = JSON.parse(fs.readFileSync(result, 'utf8'));
    const outer = fs.readFileSync(`${result}.outer`, 'utf8');
    expect(got.hung).toBe(false);
    expect(got.text).toBe('child-via-process.stdout\r\nchild-via-process.stderr\r\n');
    expect(outer).toBe('parent-isTTY=true\r\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
