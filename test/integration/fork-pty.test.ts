// forkpty() from a process whose own stdout is a terminal: the child's process.stdout must
// write to the new pseudo-terminal, not to the parent's terminal. The parent runs on a
// terminal of its own, made by python3's pty.fork.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ptyTest, runOnPty } from '../helpers/pty';

const ROOT = path.resolve(__dirname, '..', '..');
const withPty = ptyTest('the forkpty terminal test');

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
    const r = runOnPty(['--single-threaded', script, result], { outer: `${result}.outer` });
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
