// setpgrp(): run in a node child spawned with posix_spawn, since it changes the caller's
// own process group (never the jest worker's).
import * as os from '../../lib/os';
import { runNodeScript } from '../helpers/os-core-children';

const report = `
  const before = os.getpgrp();
  let error = null;
  try { os.setpgrp(); } catch (e) { error = { code: e.code, syscall: e.syscall }; }
  process.stdout.write(JSON.stringify({ pid: os.getpid(), before, after: os.getpgrp(), error }));
`;

test('setpgrp() makes a process that is not a group leader the leader of a new group', () => {
  const { status, stdout } = runNodeScript(report);
  expect(status).toBe(0);
  const r = JSON.parse(stdout);
  expect(r.before).toBe(os.getpgrp()); // it started in this process's group
  expect(r.before).not.toBe(r.pid);
  expect(r.after).toBe(r.pid);
  expect(r.error).toBeNull();
});

test('setpgrp() by a session leader throws EPERM and leaves its group as it was', () => {
  const { status, stdout } = runNodeScript(report, { setsid: true });
  expect(status).toBe(0);
  const r = JSON.parse(stdout);
  expect(r.before).toBe(r.pid); // a session leader leads its group
  expect(r.after).toBe(r.pid);
  expect(r.error).toEqual({ code: 'EPERM', syscall: 'setpgrp' });
});
