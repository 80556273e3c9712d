/**
 * `unixproc tree --dot` / `--svg`: the process tree as a Graphviz graph, one node per
 * process, with zombies, leaked orphans, daemons and kernel threads drawn apart (colour and
 * shape) and a legend. `--svg` pipes the DOT text through `dot -Tsvg` (Debian's graphviz).
 * @see https://graphviz.org/doc/info/lang.html (quoted strings), https://graphviz.org/docs/attr-types/escString/
 * @internal
 */
import { escapeText, hex } from '../escape';

/** What a process is drawn as. */
export type DotKind = 'zombie' | 'leaked-orphan' | 'daemon' | 'kernel' | 'process';

/** A process to draw. */
export interface DotNode {
  readonly pid: number;
  /** comm or command line: raw text from /proc, escaped here. */
  readonly name: string;
  readonly state: string;
  readonly kind: DotKind;
  /** Threads beyond the main one, shown in the label when > 0. */
  readonly threads: number;
  readonly children: readonly DotNode[];
}

/** Colour and shape per kind, and the legend's words for it. */
const STYLE: Readonly<Record<DotKind, { readonly attrs: string; readonly legend: string }>> = {
  process: { attrs: 'shape=box, style="rounded,filled", fillcolor="#ffffff", color="#555555"', legend: 'process' },
  zombie: { attrs: 'shape=octagon, style=filled, fillcolor="#f4a6a6", color="#b00000", penwidth=2', legend: 'zombie (Z): exited, its parent has not waited for it' },
  'leaked-orphan': { attrs: 'shape=box, style="rounded,filled,dashed", fillcolor="#ffd699", color="#c06000", penwidth=2', legend: 'leaked orphan: re-parented, still in the session that started it' },
  daemon: { attrs: 'shape=box, style="rounded,filled,bold", fillcolor="#b8d8f8", color="#1f5fa0"', legend: 'daemon: a deliberate orphan (detached, no terminal)' },
  kernel: { attrs: 'shape=box, style="rounded,filled", fillcolor="#e0e0e0", color="#909090", fontcolor="#555555"', legend: 'kernel thread' },
};

/**
 * `text` as the inside of a DOT quoted string used as a label (an escString): first
 * escaped for a terminal (lib/escape.ts: control characters as `\xHH`, newline as `\n`, bidi
 * controls and line separators as `\uHHHH`, a backslash as `\\`), so the picture shows the
 * same unambiguous text as `unixproc tree`; bytes that are not UTF-8 (kept as U+DC80..U+DCFF)
 * as `\xHH` too. Then every backslash and double quote is escaped for DOT, where `\n`, `\l`,
 * `\N`... would otherwise be interpreted: a process named `a\nb` or `"];` stays that text.
 * The result holds no control character, no bidi control and no unescaped quote.
 */
export function dotLabelText(text: string): string {
  let s = '';
  for (const ch of escapeText(text)) {
    const cp = ch.codePointAt(0)!;
    s += cp >= 0xdc80 && cp <= 0xdcff ? `\\x${hex(cp - 0xdc00, 2)}` : ch;
  }
  return s.replace(/[\\"]/g, (c) => `\\${c}`);
}

function labelOf(n: DotNode): string {
  const detail = [`pid ${n.pid}`, dotLabelText(n.state)];
  if (n.threads > 0) detail.push(`${n.threads + 1} threads`);
  if (n.kind === 'zombie') detail.push('zombie');
  else if (n.kind === 'leaked-orphan') detail.push('leaked orphan');
  else if (n.kind === 'daemon') detail.push('daemon');
  // `\n` here is DOT's own line break between the name and the details.
  return `${dotLabelText(n.name)}\\n${detail.join(', ')}`;
}

/**
 * The DOT text of the forest `roots`: a directed graph, parent to child, laid out left to
 * right, one node `pPID` per process, with a legend (a cluster of one sample node per kind
 * that occurs, plus `process`). Iterative: a very deep chain does not overflow the stack.
 */
export function toDot(roots: readonly DotNode[]): string {
  const out: string[] = [
    'digraph "unixproc tree" {',
    '  graph [rankdir=LR, fontname="Helvetica", nodesep=0.15, ranksep=0.4, labelloc=t, label="unixproc tree"];',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [color="#777777", arrowsize=0.6];',
  ];
  const kinds = new Set<DotKind>(['process']);
  const edges: string[] = [];
  // Depth first in drawing order (dot keeps siblings in the order they are declared).
  for (const stack = [...roots].reverse(); stack.length > 0; ) {
    const n = stack.pop()!;
    kinds.add(n.kind);
    out.push(`  p${n.pid} [label="${labelOf(n)}", ${STYLE[n.kind].attrs}];`);
    for (const c of n.children) edges.push(`  p${n.pid} -> p${c.pid};`);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  out.push(...edges);
  out.push('  subgraph cluster_legend {', '    label="legend"; fontsize=11; style=rounded; color="#999999";');
  const order: DotKind[] = ['process', 'zombie', 'leaked-orphan', 'daemon', 'kernel'];
  const shown = order.filter((k) => kinds.has(k));
  for (const k of shown) out.push(`    legend_${k.replace('-', '_')} [label="${dotLabelText(STYLE[k].legend)}", ${STYLE[k].attrs}];`);
  // Invisible edges keep the legend's entries in one column, in this order.
  for (let i = 1; i < shown.length; i++) out.push(`    legend_${shown[i - 1].replace('-', '_')} -> legend_${shown[i].replace('-', '_')} [style=invis];`);
  out.push('  }', '}');
  return `${out.join('\n')}\n`;
}

/** Why `dot` could not make the SVG: a one-line message for the user. */
export class DotUnavailable extends Error {
  override readonly name = 'DotUnavailable';
}

/**
 * `dot -Tsvg` on `dotText`, from $PATH (or `program`).
 * @throws DotUnavailable when dot is not installed (the message names Debian's graphviz
 *   package), when it is killed, or when it fails (its first line of stderr, escaped by the
 *   caller's writer).
 */
export function renderSvg(dotText: string, program = 'dot'): string {
  // env given as it is now (not left to child_process's default): a caller that changed process.env meant it.
  // child_process loaded here, only for --svg.
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(program, ['-Tsvg'], { input: dotText, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024, env: process.env });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DotUnavailable(`--svg needs Graphviz's dot, which is not installed (Debian/Ubuntu: apt-get install graphviz); --dot prints the DOT text without it`);
    throw new DotUnavailable(`dot -Tsvg failed: ${r.error.message}`);
  }
  if (r.status !== 0) {
    const first = (r.stderr ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
    throw new DotUnavailable(`dot -Tsvg ${r.signal !== null ? `was killed by ${r.signal}` : `exited ${r.status}`}${first === '' ? '' : `: ${first.trim()}`}`);
  }
  return r.stdout;
}
