// waitid(2) with an idtype outside P_ALL..P_PIDFD: the kernel's EINVAL, as in Python (found
// by npm run fuzz under npm run test:asan: the native code cast such an int to idtype_t,
// undefined behaviour that UBSan aborted on; under a normal build it happened to work).
import { waitid, WEXITED, WNOHANG } from '../../lib/os';

describe('waitid with an idtype the kernel does not know', () => {
  test.each([-10, -1, 4, 1000, 2 ** 31 - 1, -(2 ** 31)])('idtype %d throws EINVAL from waitid', (idtype) => {
    let thrown: unknown;
    try {
      waitid(idtype, 1, WEXITED | WNOHANG);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'EINVAL', syscall: 'waitid', errno: -22 });
  });
});
