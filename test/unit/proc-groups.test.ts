// Orphaned process groups when a member's parent cannot be read or vanishes mid-scan: on a
// procfs tree written by the test, and on the table logic with a controlled re-read.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { orphanedProcessGroups } from '../../lib/proc';
import { orphanedGroupsOf } from '../../lib/proc/groups';
import { ProcessEntry, ProcessInfo } from '../../lib/proc/process-info';
import { stateOf } from '../../lib/proc/states';

// proc(5) stat line, fields 1..39 (exit_signal 17, processor 0).
function statLine(pid: number, comm: string, ppid: number, pgrp: number, sid: number, start: number): string {
  const f = [pid, `(${comm})`, 'S', ppid, pgrp, sid, 0, -1, 0x400100, 0, 0, 0, 0, 1, 1, 0, 0, 20, 0, 1, 0, start,
    4096000, 100, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0];
  return f.join(' ') + '\n';
}

describe('orphanedProcessGroups when a parent is unreadable or missing (written tree)', () => {
  let root: string;
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-groups-'));
    write('stat', 'cpu  1 2 3 4\nbtime 1700000000\n');
    write('1/stat', statLine(1, 'init', 0, 1, 1, 5));
    // 600: the parent whose stat cannot be read (EISDIR here, EACCES under hidepid=1).
    fs.mkdirSync(path.join(root, '600', 'stat'), { recursive: true });
    // Group 601 (session 600): its only member's parent is the unreadable 600.
    write('601/stat', statLine(601, 'unreadable-parent', 600, 601, 600, 1000));
    // Group 611 (session 610): its member's parent 610 is not there (gone, or invisible under
    // hidepid=2) and re-reading the member shows the same ppid: not re-parented.
    write('611/stat', statLine(611, 'missing-parent', 610, 611, 610, 1001));
    // Group 621 (session 620): its member's parent is init, outside the session: orphaned.
    write('621/stat', statLine(621, 'init-child', 1, 621, 620, 1002));
  });

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a group whose member has an unreadable parent is not reported', () => {
    expect(orphanedProcessGroups({ procfs: root, procfsFixture: true }).map((g) => g.pgid)).not.toContain(601);
  });

  test('a group whose member\'s parent is missing and which was not re-parented is not reported', () => {
    expect(orphanedProcessGroups({ procfs: root, procfsFixture: true }).map((g) => g.pgid)).not.toContain(611);
  });

  test('a group whose member\'s parent is readable and outside the session is reported', () => {
    expect(orphanedProcessGroups({ procfs: root, procfsFixture: true }).map((g) => g.pgid)).toEqual([1, 621]);
  });
});

function info(pid: number, ppid: number, pgid: number, sid: number, startTime: number): ProcessInfo {
  return { readable: true, pid, ppid, pgid, sid, startTime, kernelThread: false, state: stateOf('S') } as unknown as ProcessInfo;
}

describe('orphanedGroupsOf with a parent that vanished mid-scan', () => {
  // Session 700 led by 700 (in the table). Member 711 of group 711 had parent 710 (same
  // session), which exited during the scan, so the table does not have it.
  const leader = info(700, 1, 700, 700, 900);
  const member = info(711, 710, 711, 700, 1000);

  test('re-read: the member is now a child of init, outside the session: orphaned', () => {
    const reread = (pid: number): ProcessEntry | undefined =>
      pid === 711 ? info(711, 1, 711, 700, 1000) : pid === 1 ? info(1, 0, 1, 1, 5) : undefined;
    const table = [info(1, 0, 1, 1, 5), leader, member];
    expect(orphanedGroupsOf(table, reread).map((g) => g.pgid)).toContain(711);
  });

  test('re-read: the member was re-parented to a subreaper inside its session: not orphaned', () => {
    const reread = (pid: number): ProcessEntry | undefined => (pid === 711 ? info(711, 700, 711, 700, 1000) : undefined);
    const table = [info(1, 0, 1, 1, 5), leader, member];
    expect(orphanedGroupsOf(table, reread).map((g) => g.pgid)).not.toContain(711);
  });

  test('re-read: the parent is there after all, in the session and another group: not orphaned', () => {
    const reread = (pid: number): ProcessEntry | undefined => (pid === 710 ? info(710, 700, 700, 700, 950) : undefined);
    const table = [info(1, 0, 1, 1, 5), leader, member];
    expect(orphanedGroupsOf(table, reread).map((g) => g.pgid)).not.toContain(711);
  });

  test('re-read: the pid now names a process younger than the member (recycled), member unchanged: not reported', () => {
    const reread = (pid: number): ProcessEntry | undefined =>
      pid === 710 ? info(710, 1, 710, 710, 5000) : pid === 711 ? member : undefined;
    const table = [info(1, 0, 1, 1, 5), leader, member];
    expect(orphanedGroupsOf(table, reread).map((g) => g.pgid)).not.toContain(711);
  });
});
