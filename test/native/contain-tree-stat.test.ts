// native/tree_stat.cc: treeStat(root, includeRoot, pids | null) reads a tree's processes in
// one pass; checked against /proc read here, and against the JS reader of lib/contain/usage.
import { readFileSync } from 'node:fs';
import { native } from '../../lib/native';
import { spawn } from '../../lib/spawn';
import { TF, treeStat } from '../../lib/contain/tree-stat';
import { sumOver, sumOverJs } from '../../lib/contain/usage';
import { waitFor } from '../helpers/proc-spawn';

const raw = native<{ treeStat(...a: unknown[]): Float64Array | number }>();

test("a listed pid: its stat fields 3, 14, 15, 20, 22 and statm's resident pages", () => {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const v = treeStat(0, false, [process.pid]);
  expect(v.length).toBe(TF.width);
  expect(v[TF.pid]).toBe(process.pid);
  expect(v[TF.startTime]).toBe(Number(f[19]));
  expect(String.fromCharCode(v[TF.state])).toMatch(/^[RS]$/);
  expect(v[TF.utime]).toBeGreaterThanOrEqual(Number(f[11])); // read after: CPU time only grows
  expect(v[TF.stime]).toBeGreaterThanOrEqual(Number(f[12]));
  expect(v[TF.threads]).toBeGreaterThan(1);
});

test("the walk finds a shell's children, and a pid that does not exist is left out", async () => {
  const child = spawn('/bin/sh', ['-c', 'sleep 300 & sleep 300 & wait'], { contain: 'subreaper' });
  try {
    await waitFor('sh and 2 sleeps', () => treeStat(child.pid, false).length === 3 * TF.width);
    const v = treeStat(child.pid, true);
    expect(v[TF.pid]).toBe(child.pid); // the root first
    expect(v[TF.width + TF.pid]).toBe(child.programPid); // then its child
    expect(treeStat(0, false, [2 ** 22 + 1]).length).toBe(0);
    const pids = Array.from({ length: v.length / TF.width }, (_, i) => v[i * TF.width + TF.pid]);
    const n = sumOver(pids, false);
    const js = sumOverJs(pids, false);
    expect(n.processes).toBe(js.processes);
    expect(n.total.threads).toBe(js.total.threads);
  } finally {
    await child.terminate({ killGracePeriod: 0 });
  }
});

test('malformed arguments are -EINVAL', () => {
  expect(raw.treeStat('1', false, null)).toBe(-22);
  expect(raw.treeStat(1, 'no', null)).toBe(-22);
  expect(raw.treeStat(1, false, [1, 2])).toBe(-22);
});
