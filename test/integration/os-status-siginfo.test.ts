// One status conversion: a waitid(2) report (si_code, si_status) becomes the very status word
// waitpid(2) gives for the same event, stops and continues included, so decodeWaitStatus and
// the W* macros read both paths alike. (A second converter once turned every stop and
// continue into -1, and another read a ptrace trap as "exited 0".)
import { decodeWaitStatus, statusFromSiginfo } from '../../lib/exit-status';
import * as os from '../../lib/os';
import { reap, spawnSh } from '../helpers/os-core-children';

test('a stop: waitid (peeked with WNOWAIT) converts to the status waitpid(WUNTRACED) then reports', () => {
  const pid = spawnSh("trap 'exit 7' USR1; kill -STOP $$; while :; do sleep 0.05; done");
  try {
    const report = os.waitid(os.P_PID, pid, os.WSTOPPED | os.WNOWAIT);
    expect(report).toMatchObject({ si_pid: pid, si_code: os.CLD_STOPPED, si_status: 19 });
    const [p, status] = os.waitpid(pid, os.WUNTRACED);
    expect(p).toBe(pid);
    expect(statusFromSiginfo(report!.si_code, report!.si_status)).toBe(status);
    expect(decodeWaitStatus(status)).toEqual({ kind: 'stopped', signal: 'SIGSTOP', signo: 19 });
    expect([os.WIFSTOPPED(status), os.WSTOPSIG(status), os.WIFEXITED(status), os.WIFSIGNALED(status)]).toEqual([true, 19, false, false]);

    os.kill(pid, 'SIGCONT');
    const cont = os.waitid(os.P_PID, pid, os.WCONTINUED | os.WNOWAIT);
    expect(cont).toMatchObject({ si_pid: pid, si_code: os.CLD_CONTINUED, si_status: 18 });
    const [p2, continued] = os.waitpid(pid, os.WCONTINUED);
    expect(p2).toBe(pid);
    expect(statusFromSiginfo(cont!.si_code, cont!.si_status)).toBe(continued);
    expect(decodeWaitStatus(continued)).toEqual({ kind: 'continued' });
    expect(os.WIFCONTINUED(continued)).toBe(true);
  } finally {
    os.kill(pid, 'SIGUSR1');
    expect(os.WEXITSTATUS(reap(pid))).toBe(7);
  }
});

test.each([
  // [si_code, si_status, the status word, as glibc's and CPython's W* macros define it]
  [os.CLD_EXITED, 3, 3 << 8],
  [os.CLD_KILLED, 15, 15],
  [os.CLD_DUMPED, 11, 11 | 0x80],
  [os.CLD_STOPPED, 19, (19 << 8) | 0x7f],
  [os.CLD_TRAPPED, 5, (5 << 8) | 0x7f],
  [os.CLD_CONTINUED, 18, 0xffff],
])('si_code %i with si_status %i is the status word %i', (code, siStatus, word) => {
  expect(statusFromSiginfo(code, siStatus)).toBe(word);
});

test('an si_code waitid never reports is ERR_INVALID_ARG_VALUE, not a made-up status', () => {
  expect(() => statusFromSiginfo(0, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
});
