// The exit hook's SIGKILL of a supervisor's group (lib/supervise/exit-hook.ts) is final:
// the supervisor does not restart the child it killed. A restart between that SIGKILL and
// the process's end started a new child that outlived the process (CI: supervise-parent-
// death left two `sleep 300` of a restarted `sh` behind).
import { supervise } from '../../lib/supervise';
import { killAllOnExitForTests } from '../../lib/supervise/exit-hook';

test('after the exit hook killed its group, a supervisor with restart: always does not restart', async () => {
  const sup = supervise('/bin/sleep', ['300'], { contain: false, restart: 'always', backoff: { initial: 0 } } as never);
  const restarts: unknown[] = [];
  sup.on('restart', (r) => restarts.push(r));
  const firstPid = sup.pid;
  await new Promise<void>((resolve) => {
    const poll = (): void => (sup.state === 'running' ? resolve() : void setTimeout(poll, 5));
    poll();
  });
  const exited = new Promise((resolve) => sup.once('exit', resolve));
  killAllOnExitForTests();
  const exit = (await exited) as { pid: number; status: { kind: string; signal?: string } };
  expect(exit.pid).toBe(firstPid);
  expect(exit.status).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  await new Promise((r) => setTimeout(r, 200));
  expect(restarts).toEqual([]);
  expect(sup.state).toBe('stopped');
  await sup.terminate();
});
