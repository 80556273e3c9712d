/**
 * `unixproc tree [pid]`: the process tree drawn as pstree draws it (psmisc: `name---child`,
 * `N*[name]` for identical sibling subtrees, `{thread}`, `-p` for `name(pid)`, `-A`/`-U` for
 * ASCII or box drawing), from processTree(), with zombies and leaked orphans marked; or, with
 * `--dot` / `--svg`, as a Graphviz picture (lib/cli/tree-dot.ts).
 * @internal
 */
// The readers from their own modules, not lib/proc's index (which loads every reader).
import { findOrphans } from '../proc/orphans';
import type { ProcessInfo } from '../proc/process-info';
import { listProcesses } from '../proc/table';
import { threads } from '../proc/threads';
import { processTree } from '../proc/tree';
import type { ProcessTreeNode } from '../proc/tree';
import { isErrnoException } from '../errors';
import type { CliIO, Command } from './command';
import { UsageError } from './command';
import {
  atMostPositionals,
  CmdlineMap,
  COMMON_USAGE,
  notRunningThis,
  notSelf,
  parsePid,
  parsePidList,
  procfsOption,
  ProcArgs,
  readCmdlines,
  readProcArgs,
  withCmdline,
} from './proc-args';
import { truncate, writeError, writeJson, writeLines } from './text';
import { ASCII, DrawNode, drawTree, UNICODE } from './tree-draw';
import { DotKind, DotNode, DotUnavailable, renderSvg, toDot } from './tree-dot';

const USAGE = `usage: unixproc tree [PID] [-p] [-A|-U] [-c] [-n] [-T] [--cmdline] [--kernel] [--subreaper PID] [--wide] [--json] [--procfs ROOT [--procfs-fixture]]
       unixproc tree [PID] --dot|--svg [-n] [-T] [--cmdline] [--kernel] [--subreaper PID] [--procfs ROOT [--procfs-fixture]]

The process tree rooted at PID, or, without PID, every tree whose root's parent is not in
the table (PID 1, and processes whose parent is outside the pid namespace), drawn as
pstree draws it: a parent and its first child on one line (joined by --- for an only child,
-+- for the first of several), the other children below, in name order; identical sibling
subtrees once, as N*[name]; threads as {name}. Box drawing on a terminal with a UTF-8
locale, ASCII otherwise. Marked: a zombie as "name <defunct>", a leaked orphan (re-parented
to init or a subreaper, findOrphans()) as "name <orphan>". Kernel threads are hidden.

  -p, --show-pids     name(pid); no compaction (pstree -p)
  -A, --ascii         ASCII branches |- \`- --- -+- (pstree -A)
  -U, --unicode       box-drawing branches ├─ └─ ─── ─┬─ (pstree -U)
  -c, --no-compact    never fold identical subtrees into N*[...] (pstree -c)
  -n, --numeric-sort  children in pid order instead of name order (pstree -n)
  -T, --hide-threads  no {thread} entries (pstree -T)
  -a, --cmdline       command lines instead of comm ([comm] when there is none), one
                      process per line, as pstree -a lays them out
      --kernel        include kernel threads (hidden by default; shown when PID is one)
      --subreaper PID count PID as a child subreaper when marking orphans (repeatable, or a
                      comma list; the calling process is checked by itself)
      --dot           the tree as Graphviz DOT text: one node per process, zombies, leaked
                      orphans, daemons and kernel threads in their own colour and shape,
                      with a legend
      --svg           the same picture as SVG, drawn by Graphviz's dot (Debian: graphviz)
  -l                  the same as --wide (pstree -l)
${COMMON_USAGE}

Exit status: 0, or 1 when PID does not exist or cannot be read, or --svg cannot run dot;
2 for a usage error.`;

/** Short options and the long ones they stand for. */
const SHORT: Readonly<Record<string, string>> = {
  p: 'show-pids',
  A: 'ascii',
  U: 'unicode',
  c: 'no-compact',
  n: 'numeric-sort',
  T: 'hide-threads',
  a: 'cmdline',
  l: 'wide',
  h: 'help',
};
const FLAGS = ['cmdline', 'kernel', 'show-pids', 'ascii', 'unicode', 'no-compact', 'numeric-sort', 'hide-threads', 'dot', 'svg'];
const WITH_VALUE = ['subreaper', 'procfs'];

/**
 * pstree's short options (`-pA`, `-T`...) as the long ones readProcArgs knows. Values of
 * options that take one are left alone (`--procfs -odd` names a directory), so is
 * everything after `--` and a negative number (a bad PID, reported as such).
 */
function expandShort(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (WITH_VALUE.some((w) => a === `--${w}`)) {
      out.push(a);
      if (i + 1 < argv.length) out.push(argv[++i]);
      continue;
    }
    if (a.length > 1 && a.startsWith('-') && !a.startsWith('--') && !/^-\d/.test(a)) {
      for (const letter of a.slice(1)) {
        const name = SHORT[letter];
        if (name === undefined) {
          throw new UsageError(`unknown option -${letter} (short options: ${Object.keys(SHORT).map((k) => `-${k}`).join(' ')})`);
        }
        out.push(`--${name}`);
      }
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * Whether box drawing is the default: stdout is a terminal and the locale's character set
 * is UTF-8 (LC_ALL, else LC_CTYPE, else LANG), pstree's rule (isatty and nl_langinfo(CODESET)).
 */
function boxDrawingDefault(io: CliIO): boolean {
  const out = io.stdout as { isTTY?: unknown; columns?: unknown };
  if (out.isTTY !== true && typeof out.columns !== 'number') return false;
  const env = process.env;
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale);
}

/** A process or a thread, with what the drawings need. */
interface Item {
  readonly pid: number;
  readonly comm: string;
  /** The name pstree sorts by: comm, or {comm} for a thread. */
  readonly sortName: string;
  readonly uid: number;
  readonly process: ProcessInfo | undefined;
  readonly children: Item[];
  threadCount: number;
}

/** The classification of each orphan by pid, with the start time that makes the pid that process. */
type OrphanMap = ReadonlyMap<number, { readonly startTime: number; readonly classification: 'daemon' | 'leaked-orphan' }>;

function orphanMap(args: ProcArgs): OrphanMap {
  const subreapers = parsePidList(args, 'subreaper');
  const m = new Map<number, { startTime: number; classification: 'daemon' | 'leaked-orphan' }>();
  // As `unixproc orphans` does: neither this command nor the ancestors running it (npm under
  // a container's PID 1 shell) are marked; they are the ones looking.
  for (const o of notRunningThis(args, notSelf(args, findOrphans({ ...procfsOption(args), subreapers })))) {
    m.set(o.process.pid, { startTime: o.process.startTime, classification: o.classification });
  }
  return m;
}

function kindOf(p: ProcessInfo, orphans: OrphanMap): DotKind {
  if (p.state.name === 'zombie') return 'zombie';
  if (p.kernelThread) return 'kernel';
  const o = orphans.get(p.pid);
  if (o !== undefined && o.startTime === p.startTime) return o.classification;
  return 'process';
}

/** The threads of `p` other than its main thread, or none when they cannot be read. */
function threadItems(p: ProcessInfo, args: ProcArgs): Item[] {
  let list;
  try {
    list = threads(p.pid, procfsOption(args));
  } catch (e) {
    if (isErrnoException(e)) return []; // a task directory we may not read (EACCES): no threads shown
    throw e;
  }
  // Another process by now (the pid was reused between the scans): not its threads.
  if (list === undefined || !list.some((t) => t.tid === p.pid && t.startTime === p.startTime)) return [];
  return list
    .filter((t) => t.tid !== p.pid)
    .map((t) => ({ pid: t.tid, comm: t.comm, sortName: `{${t.comm}}`, uid: p.uid ?? 0, process: undefined, children: [], threadCount: 0 }));
}

/**
 * The Items of `roots`: kernel threads left out unless `kernel`, command lines attached
 * when read, threads added (unless hidden) and children sorted. Iterative.
 */
function items(
  roots: readonly ProcessTreeNode[],
  args: ProcArgs,
  kernel: boolean,
  cmdlines: CmdlineMap | undefined,
  threadsWanted: 'none' | 'count' | 'show',
  numeric: boolean,
): Item[] {
  const make = (p: ProcessInfo): Item => {
    const q = withCmdline(p, cmdlines);
    return { pid: q.pid, comm: q.comm, sortName: q.comm, uid: q.uid ?? 0, process: q, children: [], threadCount: 0 };
  };
  const out = roots.filter((r) => kernel || !r.process.kernelThread).map((r) => [r, make(r.process)] as const);
  const order = (a: Item, b: Item): number =>
    numeric ? a.pid - b.pid : a.sortName < b.sortName ? -1 : a.sortName > b.sortName ? 1 : a.uid - b.uid || a.pid - b.pid;
  for (const stack: (readonly [ProcessTreeNode, Item])[] = [...out]; stack.length > 0; ) {
    const [from, to] = stack.pop()!;
    for (const c of from.children) {
      if (!kernel && c.process.kernelThread) continue;
      const item = make(c.process);
      to.children.push(item);
      stack.push([c, item]);
    }
    const p = from.process;
    if (threadsWanted !== 'none' && p.numThreads > 1 && !p.kernelThread && p.state.name !== 'zombie') {
      const ts = threadItems(p, args);
      to.threadCount = ts.length;
      if (threadsWanted === 'show') to.children.push(...ts);
    }
    to.children.sort(order);
  }
  return out.map(([, item]) => item).sort(order);
}

/** The command-line label, pstree -a's shape: argv[0] (with `,pid` after it with -p), then the arguments. */
function cmdlineLabel(p: ProcessInfo, pids: boolean): string {
  const argv = p.cmdline !== undefined && p.cmdline.length > 0 ? p.cmdline : undefined;
  let s = argv !== undefined ? argv[0] : `[${p.comm}]`;
  if (pids) s += `,${p.pid}`;
  if (argv !== undefined && argv.length > 1) s += ` ${argv.slice(1).join(' ')}`;
  if (p.cmdlineTruncated) s += ' ...[cut at 2 MiB]';
  return s;
}

function toDraw(roots: readonly Item[], orphans: OrphanMap, pids: boolean, full: boolean): DrawNode[] {
  type Mutable = { label: string; thread: boolean; children: DrawNode[] };
  const label = (it: Item): Mutable => {
    const p = it.process;
    if (p === undefined) return { label: `{${it.comm}}${pids ? (full ? `,${it.pid}` : `(${it.pid})`) : ''}`, thread: true, children: [] };
    let text = full ? cmdlineLabel(p, pids) : pids ? `${p.comm}(${p.pid})` : p.comm;
    const kind = kindOf(p, orphans);
    if (kind === 'zombie') text += ' <defunct>';
    else if (kind === 'leaked-orphan') text += ' <orphan>';
    return { label: text, thread: false, children: [] };
  };
  // Depth first with an explicit stack, each node's children filled in order.
  const out: Mutable[] = [];
  const pending: [Item, Mutable][] = [];
  for (const r of roots) {
    const m = label(r);
    out.push(m);
    pending.push([r, m]);
  }
  while (pending.length > 0) {
    const [it, m] = pending.pop()!;
    for (const c of it.children) {
      const cm = label(c);
      m.children.push(cm);
      pending.push([c, cm]);
    }
  }
  return out;
}

function toDotNodes(roots: readonly Item[], orphans: OrphanMap, full: boolean): DotNode[] {
  type Mutable = DotNode & { children: DotNode[] };
  const node = (it: Item): Mutable => {
    const p = it.process!;
    const name = full ? cmdlineLabel(p, false) : p.comm;
    return { pid: p.pid, name, state: p.state.letter, kind: kindOf(p, orphans), threads: it.threadCount, children: [] };
  };
  const out: Mutable[] = [];
  const pending: [Item, Mutable][] = [];
  for (const r of roots) {
    const m = node(r);
    out.push(m);
    pending.push([r, m]);
  }
  while (pending.length > 0) {
    const [it, m] = pending.pop()!;
    for (const c of it.children) {
      if (c.process === undefined) continue; // threads are counted in the label, not drawn
      const cm = node(c);
      m.children.push(cm);
      pending.push([c, cm]);
    }
  }
  return out;
}

/** Refuses options that do not apply to the output asked for. */
function checkCombinations(args: ProcArgs): void {
  const has = (f: string): boolean => args.flags.has(f);
  if (has('ascii') && has('unicode')) throw new UsageError('-A (--ascii) and -U (--unicode) exclude each other');
  const outputs = ['json', 'dot', 'svg'].filter(has);
  if (outputs.length > 1) throw new UsageError(`--${outputs[0]} and --${outputs[1]} exclude each other: one output at a time`);
  const textOnly = ['show-pids', 'ascii', 'unicode', 'no-compact'].filter(has);
  if (outputs.length === 1 && textOnly.length > 0) {
    throw new UsageError(`--${textOnly[0]} shapes the text drawing; it does not combine with --${outputs[0]}`);
  }
  if (has('json') && (has('numeric-sort') || has('hide-threads'))) {
    throw new UsageError('--json gives processTree() as it is (children in pid order, no threads): -n and -T do not apply');
  }
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = readProcArgs(expandShort(argv), io, FLAGS, ['subreaper']);
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  atMostPositionals(args, 1);
  checkCombinations(args);
  const rootPid = args.positionals.length === 1 ? parsePid(args.positionals[0], 'PID') : undefined;
  const full = args.flags.has('cmdline');
  const opts = procfsOption(args);
  parsePidList(args, 'subreaper'); // a bad --subreaper is a usage error before anything is read

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

  if (rootPid !== undefined && roots.length === 0) {
    // processTree() leaves out what it cannot read: a process hidden by hidepid is there,
    // and saying it is not would mislead. One more scan, only on this path, tells them apart.
    if (args.json) writeJson(io, { roots: [] });
    const entry = listProcesses(opts).find((p) => p.pid === rootPid);
    if (entry !== undefined && !entry.readable) writeError(io, `unixproc tree: cannot read process ${rootPid} (${entry.error})`);
    else writeError(io, `unixproc tree: no process ${rootPid}`);
    return 1;
  }

  if (args.json) {
    const shown = items(roots, args, kernel, cmdlines, 'none', true);
    // The JSON is processTree()'s nodes (pid order), pruned of what is hidden.
    const json = (it: Item): ProcessTreeNode => ({ process: it.process!, children: [] as ProcessTreeNode[] });
    const out = shown.map(json);
    for (const pending: [Item, ProcessTreeNode][] = shown.map((it, i) => [it, out[i]]); pending.length > 0; ) {
      const [it, node] = pending.pop()!;
      for (const c of it.children) {
        const cn = json(c);
        (node.children as ProcessTreeNode[]).push(cn);
        pending.push([c, cn]);
      }
    }
    writeJson(io, { roots: out });
    return 0;
  }

  const numeric = args.flags.has('numeric-sort');
  const picture = args.flags.has('dot') || args.flags.has('svg');
  const hideThreads = args.flags.has('hide-threads');
  const tree = items(roots, args, kernel, cmdlines, hideThreads ? 'none' : picture ? 'count' : 'show', numeric);
  const orphans = orphanMap(args);

  if (picture) {
    const dot = toDot(toDotNodes(tree, orphans, full));
    if (args.flags.has('dot')) {
      io.stdout.write(dot);
      return 0;
    }
    try {
      io.stdout.write(renderSvg(dot));
    } catch (e) {
      if (!(e instanceof DotUnavailable)) throw e;
      writeError(io, `unixproc tree: ${e.message}`);
      return 1;
    }
    return 0;
  }

  const ascii = args.flags.has('ascii') || (!args.flags.has('unicode') && !boxDrawingDefault(io));
  const pids = args.flags.has('show-pids');
  const compact = !pids && !args.flags.has('no-compact');
  let lines = drawTree(toDraw(tree, orphans, pids, full), ascii ? ASCII : UNICODE, compact, full);
  const columns = args.width.columns;
  if (columns !== undefined) lines = lines.map((l) => truncate(l, Math.max(20, columns)));
  writeLines(io, lines);
  return 0;
}

/** `unixproc tree`. */
export const command: Command = {
  summary: 'the process tree, drawn like pstree (-p pids, -A ascii, --dot/--svg a picture)',
  usage: USAGE,
  run,
};
