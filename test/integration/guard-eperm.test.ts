// A leftover the guard may not signal (kill(2)'s permission rule: a setuid program that
// switched all its ids to root, left behind by a command run as another user) must not
// abort the clean-up: the guard skips it, still reports it, and says it could not clean up.
// Needs root (to make the setuid helper and to end it afterwards) and a C compiler.
import { spawn as cpSpawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { untilSleepingIn } from '../helpers/guard-fixtures';
import { becomeSubreaper, killPid, reapPid } from '../helpers/proc-spawn';

const ROOT = path.join(__dirname, '..', '..');
const NOBODY = 65534;
const canRun =
  process.getuid?.() === 0 &&
  spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
const maybe = canRun ? test : test.skip;
if (!canRun) console.warn('guard-eperm: skipped (needs root, cc and setpriv)');

let dir: string;
let helper: string;
let restore: () => void;

beforeAll(() => {
  if (!canRun) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-eperm-'));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(
    path.join(dir, 'rootsleep.c'),
    '#define _GNU_SOURCE\n#include <unistd.h>\nint main(void) { if (setresuid(0, 0, 0) != 0) return 3; for (;;) pause(); }\n',
  );
  helper = path.join(dir, 'rootsleep');
  const cc = spawnSync('cc', ['-o', helper, path.join(dir, 'rootsleep.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);
  fs.chmodSync(helper, 0o4755);
  // The leftover outlives the guard: this worker adopts it and ends it by pid.
  restore = becomeSubreaper();
});

afterAll(() => {
  if (!canRun) return;
  restore();
  fs.rmSync(dir, { recursive: true, force: true });
});

function runAsNobody(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = cpSpawn(
    'setpriv',
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-r', './test/helpers/ts-register.js', 'lib/cli/main.ts', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

maybe('a leftover that may not be signalled is reported as not cleaned up, not an EPERM crash', async () => {
  // The helper's stdout is /dev/null so the guard's pipes close when the guard exits. The
  // command ends once the helper sleeps in pause(), so after its setresuid(2): before that,
  // the guard could still signal it, and its state would not be S.
  const command = `${helper} >/dev/null 2>&1 & p=$!; ${untilSleepingIn('rootsleep')}; echo $p; exit 0`;
  const run = await runAsNobody(['guard', '--kill-grace-period', '100', '--', 'sh', '-c', command]);
  const pid = Number(run.stdout.trim().split('\n')[0]);
  try {
    expect(pid).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain('EPERM');
    expect(run.stderr).toContain(`pid ${pid} S ${helper}: orphan adopted by the guard`);
    expect(run.stderr).toContain('unixproc guard: killed 0 and reaped 0 process(es)');
    expect(run.stderr).toMatch(new RegExp(`could not clean up:\\nleak: 1 process still running left behind:\\n  pid ${pid} S `));
  } finally {
    if (pid > 0) {
      killPid(pid);
      await reapPid(pid);
    }
  }
});
