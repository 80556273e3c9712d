// `npm start` is the newcomer's first command: the tour must run to the end, exit 0, and
// show real results from each part of the library.
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function runTour(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', './test/helpers/ts-register.js', 'lib/tour.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('the tour runs every section on real processes and exits 0', async () => {
  const { code, out } = await runTour();
  expect({ code, tail: out.slice(-400) }).toEqual({ code: 0, tail: expect.any(String) });
  expect(out).toMatch(/sh -c 'exit 3': pid \d+ status 0x0300 {2}WIFEXITED=true exitcode=3/);
  expect(out).toMatch(/zombie pid \d+ \(true, state Z: .*\), held by pid \d+ \(node\)\nafter waitpid: gone/);
  expect(out).toMatch(/restart 1 in 50 ms\n.*\n {2}restart 2 in 100 ms\n {2}running as pid \d+ \(its own process group\), state running/);
  expect(out).toMatch(/terminate\(\): SIGTERM to the group, reaped; state stopped/);
  // The background job may not have exec'd sleep yet when the guard looks: it is then the
  // forked shell, and still the same leak.
  expect(out).toMatch(/pid \d+ [RS] (sleep 30|\/bin\/sh -c sleep 30 & exit 0): orphan adopted by the guard/);
  expect(out).toContain('cleanup(): signalled 1, reaped 1; now ok=true');
  expect(out).toMatch(/fork\(\): continues in JavaScript[\s\S]*ERR_UNIXPROC_FORK_UNSAFE/);
});
