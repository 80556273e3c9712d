// A parent-child chain thousands of processes deep (a runaway fork chain) must not overflow
// the stack of processTree() or of `unixproc tree`. Built as a procfs fixture tree in a temp
// directory: /proc/<pid>/stat for pids 1..DEPTH, each the child of the one before.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processTree } from '../../lib/proc';
import { runCli } from '../helpers/cli-run';

const DEPTH = 20000;
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-deep-'));
  fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'proc', 'tree', 'stat'), path.join(root, 'stat'));
  for (let pid = 1; pid <= DEPTH; pid++) {
    fs.mkdirSync(path.join(root, String(pid)));
    const fields = `${pid} (p${pid}) S ${pid - 1} 1 1 0 -1 4194560 0 0 0 0 1 1 0 0 20 0 1 0 ${pid} 4096000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0`;
    fs.writeFileSync(path.join(root, String(pid), 'stat'), `${fields}\n`);
  }
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test(`processTree() walks a chain ${DEPTH} deep to its end`, () => {
  let node = processTree(1, { procfs: root, procfsFixture: true });
  let depth = 0;
  let last = 0;
  while (node !== undefined) {
    depth++;
    last = node.process.pid;
    expect(node.children.length).toBeLessThanOrEqual(1);
    node = node.children[0];
  }
  expect([depth, last]).toEqual([DEPTH, DEPTH]);
});

// In pstree's layout a chain is one line (p1---p2---...); in the one-per-line layout (-a)
// the drawing's size grows with the square of the depth (each line is indented by its
// depth), so the CLI is drawn from further down the chain: 4000 levels (a recursive
// drawing overflowed at about 3000), about 32 MB of text.
const CLI_DEPTH = 4000;

test(`unixproc tree draws a chain ${CLI_DEPTH} deep as one pstree line`, async () => {
  const from = DEPTH - CLI_DEPTH + 1;
  const r = await runCli(['tree', String(from), '--procfs', root, '--procfs-fixture']);
  const names = Array.from({ length: CLI_DEPTH }, (_, i) => `p${from + i}`);
  expect(r.code).toBe(0);
  expect(r.stdout === `${names.join('---')}\n`).toBe(true);
});

test(`unixproc tree -a draws a chain ${CLI_DEPTH} deep, one line per process`, async () => {
  const from = DEPTH - CLI_DEPTH + 1;
  const r = await runCli(['tree', String(from), '-a', '--procfs', root, '--procfs-fixture']);
  const lines = r.stdout.trimEnd().split('\n');
  expect([r.code, lines.length, lines[0], lines[1], lines[2]]).toEqual([0, CLI_DEPTH, `[p${from}]`, `  \`-[p${from + 1}]`, `      \`-[p${from + 2}]`]);
  expect(lines[CLI_DEPTH - 1] === `${'    '.repeat(CLI_DEPTH - 2)}  \`-[p${DEPTH}]`).toBe(true);
});
