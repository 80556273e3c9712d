// lineage.ownStartTime reads the caller's start time through the /proc layer's stat reader.
import * as fs from 'node:fs';
import { lineageEntry, ownStartTime } from '../../lib/lineage';
import * as os from '../../lib/os';
import { getProcess } from '../../lib/proc';

test('ownStartTime is field 22 (starttime) of /proc/self/stat', () => {
  const stat = fs.readFileSync('/proc/self/stat', 'latin1');
  const starttime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  expect(ownStartTime(os.getpid())).toBe(starttime);
});

test('ownStartTime is the startTime the /proc layer reports for this process', () => {
  expect(ownStartTime(os.getpid())).toBe(getProcess(os.getpid())?.startTime);
});

test('lineageEntry names this process by pid and start time', () => {
  expect(lineageEntry(os.getpid(), 'child')).toBe(`UNIXPROC_LINEAGE=${os.getpid()}:${ownStartTime(os.getpid())}:child`);
});

test('ownStartTime of a pid that does not exist throws ESRCH instead of answering', () => {
  // pid_max is at most 2^22 on Linux, so this pid cannot exist.
  expect(() => ownStartTime(2 ** 22 + 1)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
});
