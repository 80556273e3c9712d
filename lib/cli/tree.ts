/**
 * `unixproc tree [pid]`: the process tree (like `pstree -p -A`), from processTree().
 * @internal
 */
import { listProcesses, processTree } from '../proc';
import type { ProcessTreeNode } from '../proc';
import type { CliIO, Command } from './command';
import {
  atMostPositionals,
  CmdlineMap,
  commandText,
  COMMON_USAGE,
  parsePid,
  procfsOption,
  readCmdlines,
  readProcArgs,
  withCmdline,
} from './proc-args';
import { displayLength, truncate, Width, writeError, writeJson, writeLines } from './text';

const USAGE = `usage: unixproc tree [PID] [--cmdline] [--kernel] [--wide] [--json] [--procfs ROOT [--procfs-fixture]]

The process tree rooted at PID, or, without PID, every tree whose root's parent is not in
the table (PID 1, and processes whose parent is outside the pid namespace). One line per
process: the branch, its pid, its state letter, and its comm (or command line).
Children are in pid order. Drawn in ASCII: |- a child with siblings after it, \`- the last.

  --cmdline        show command lines ([comm] when there is none) instead of comm
  --kernel         include kernel threads (hidden by default; shown when PID is one)
${COMMON_USAGE}

Exit status: 0, or 1 when PID does not exist or cannot be read; 2 for a usage error.`;

/**
 * `node` without its kernel-thread descendants (and with command lines), unless they are
 * wanted. Iterative, like processTree(), so a very deep chain cannot overflow the stack.
 */
function prune(node: ProcessTreeNode, kernel: boolean, cmdlines: CmdlineMap | undefined): ProcessTreeNode {
  type Mutable = { process: ProcessTreeNode['process']; children: ProcessTreeNode[] };
  const top: Mutable = { process: withCmdline(node.process, cmdlines), children: [] };
  for (const stack: [ProcessTreeNode, Mutable][] = [[node, top]]; stack.length > 0; ) {
    const [from, to] = stack.pop()!;
    for (const c of from.children) {
      if (!kernel && c.process.kernelThread) continue;
      const copy: Mutable = { process: withCmdline(c.process, cmdlines), children: [] };
      to.children.push(copy);
      stack.push([c, copy]);
    }
  }
  return top;
}

function render(roots: readonly ProcessTreeNode[], full: boolean, width: Width): string[] {
  const lines: string[] = [];
  // Depth first with an explicit stack: children pushed last-first so they print in order.
  const stack: [ProcessTreeNode, string, string][] = [...roots].reverse().map((r) => [r, '', ''] as [ProcessTreeNode, string, string]);
  while (stack.length > 0) {
    const [node, branch, indent] = stack.pop()!;
    const p = node.process;
    const head = `${branch}${p.pid} ${p.state.letter} `;
    const text = commandText(p, full);
    const room = width.columns === undefined ? undefined : Math.max(20, width.columns - displayLength(head));
    lines.push(head + (room === undefined ? text : truncate(text, room)));
    for (let i = node.children.length - 1; i >= 0; i--) {
      const last = i === node.children.length - 1;
      stack.push([node.children[i], `${indent}${last ? '`- ' : '|- '}`, `${indent}${last ? '   ' : '|  '}`]);
    }
  }
  return lines;
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = readProcArgs(argv, io, ['cmdline', 'kernel']);
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  atMostPositionals(args, 1);
  const rootPid = args.positionals.length === 1 ? parsePid(args.positionals[0], 'PID') : undefined;
  const full = args.flags.has('cmdline');
  const opts = procfsOption(args);

  let roots: readonly ProcessTreeNode[];
  let kernel = args.flags.has('kernel');
  if (rootPid === undefined) {
    roots = processTree(undefined, opts);
  } else {
    const root = processTree(rootPid, opts);
    roots = root === undefined ? [] : [root];
    if (root !== undefined && root.process.kernelThread) kernel = true;
  }
  const cmdlines = full ? readCmdlines(args) : undefined;
  const shown = roots.filter((r) => kernel || !r.process.kernelThread).map((r) => prune(r, kernel, cmdlines));

  if (args.json) writeJson(io, { roots: shown });
  else writeLines(io, render(shown, full, args.width));
  if (rootPid !== undefined && roots.length === 0) {
    // processTree() leaves out what it cannot read: a process hidden by hidepid is there,
    // and saying it is not would mislead. One more scan, only on this path, tells them apart.
    const entry = listProcesses(opts).find((p) => p.pid === rootPid);
    if (entry !== undefined && !entry.readable) writeError(io, `unixproc tree: cannot read process ${rootPid} (${entry.error})`);
    else writeError(io, `unixproc tree: no process ${rootPid}`);
    return 1;
  }
  return 0;
}

/** `unixproc tree`. */
export const command: Command = {
  summary: 'the process tree (like pstree -p), from one pid or all',
  usage: USAGE,
  run,
};
