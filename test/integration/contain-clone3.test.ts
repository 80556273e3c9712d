// A child contained by a cgroup is created in it by clone3(CLONE_INTO_CGROUP) (Linux 5.7),
// not moved there by its own write to cgroup.procs before exec (a migration that costs
// 520-545 us with the event loop's thread suspended: docs/containment.md, Figures). Where
// clone3 is refused (ENOSYS: old kernels, Docker's seccomp profile), the write is the
// fallback. strace shows which happened, and injects the ENOSYS (strace(1) -e inject).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOADER, ROOT } from '../helpers/supervise-helpers';

const SCRIPT = `
  const { spawn } = require(${JSON.stringify(join(ROOT, 'lib', 'spawn', 'index.ts'))});
  const fs = require('node:fs');
  (async () => {
    const c = spawn('/bin/sleep', ['5'], { contain: 'cgroup' });
    const line = fs.readFileSync('/proc/' + c.pid + '/cgroup', 'latin1').split('\\n').find((l) => l.startsWith('0::'));
    process.stdout.write(JSON.stringify({ pid: c.pid, line, own: process.pid }) + '\\n');
    await c.terminate({ killGracePeriod: 0 });
  })();`;

// The trampoline is x86_64 only (native/child.cc); arm64 always takes the fallback.
const x64 = process.arch === 'x64' ? test : test.skip;

function traced(inject: boolean): { pid: number; line: string; own: number; trace: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'unixproc-clone3-'));
  try {
    const out = join(dir, 'trace');
    // -ff: one file per process, so that no call is split into "unfinished" / "resumed"
    // halves by another process's (as happens with -f under load); each line then gets
    // its pid prefixed here, as -f would print it.
    const args = ['-ff', '-qq', '-e', 'trace=clone,clone3,write', '-e', 'signal=none', '-o', out];
    if (inject) args.push('-e', 'inject=clone3:error=ENOSYS');
    const stdout = execFileSync('strace', [...args, process.execPath, '-r', LOADER, '-e', SCRIPT], { cwd: ROOT, encoding: 'latin1', timeout: 60000 });
    const trace = readdirSync(dir)
      .filter((f) => f.startsWith('trace.'))
      .flatMap((f) => readFileSync(join(dir, f), 'latin1').split('\n').map((l) => `${f.slice('trace.'.length)} ${l}`));
    return { ...JSON.parse(stdout.trim()), trace };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

x64('the program is created in its cgroup by clone3(CLONE_INTO_CGROUP) and writes no cgroup.procs', () => {
  const r = traced(false);
  expect(r.line).toMatch(new RegExp(`^0::/.*unixproc-${r.own}-\\d+/c\\d+$`));
  const intoCgroup = r.trace.filter((l) => l.includes('clone3(') && l.includes('CLONE_INTO_CGROUP'));
  expect(intoCgroup.some((l) => new RegExp(`= ${r.pid}$`).test(l))).toBe(true);
  expect(r.trace.filter((l) => l.startsWith(`${r.pid} write(`) && l.includes('"0", 1)'))).toEqual([]);
});

x64('where clone3 is refused (ENOSYS), the child writes its cgroup.procs before exec and is in its cgroup all the same', () => {
  const r = traced(true);
  expect(r.line).toMatch(new RegExp(`^0::/.*unixproc-${r.own}-\\d+/c\\d+$`));
  expect(r.trace.some((l) => l.includes('CLONE_INTO_CGROUP') && l.includes('ENOSYS'))).toBe(true);
  expect(r.trace.filter((l) => l.startsWith(`${r.pid} write(`) && /"0", 1\)\s+= 1$/.test(l))).toHaveLength(1);
});

test('strace is there (.ci/run installs it): these tests do not pass by not running', () => {
  expect(execFileSync('strace', ['-V'], { encoding: 'latin1' })).toMatch(/strace -- version/);
});
