/**
 * The text drawing of `unixproc tree`: pstree's layout (psmisc pstree.c, dump_tree), from a
 * tree of already-labelled nodes. Two layouts, as pstree has:
 * - compact (pstree's default): a parent and its first child on one line joined by `---`
 *   (one child) or `-+-` (several), the other children under the first, each indented to its
 *   parent's column; identical sibling subtrees drawn once as `N*[name]`, with the closing
 *   brackets at the end of each line the repeated subtree ends (pstree writes one `]` per
 *   open `N*[` at every leaf under it, so a repeated subtree of two lines closes both);
 * - one process per line (pstree -a, here `--cmdline`): every process on its own line,
 *   indented two columns per level; only identical threads compacted, as pstree -a does.
 * Labels are raw text: the caller writes the lines through writeLines(), which escapes them,
 * and widths are computed with displayLength(), so alignment holds after escaping.
 * Iterative throughout: a chain thousands of processes deep draws without deep recursion.
 * @internal
 */
import { displayLength } from './text';

/** A node to draw: its label (without the `N*[` a repetition adds), and its children in drawing order. */
export interface DrawNode {
  /** What is printed for it: `name`, `name(pid)`, `{thread}`, plus any marker. */
  readonly label: string;
  /** A thread (pstree's `{name}`): the only nodes compacted in the one-per-line layout. */
  readonly thread: boolean;
  readonly children: readonly DrawNode[];
}

/** The branch characters: pstree's sym_ascii (`-A`) and sym_utf (`-U`). */
export interface Symbols {
  /** Under a finished branch. */
  readonly empty: string;
  /** A child with siblings after it. */
  readonly branch: string;
  /** Passing a branch that goes on. */
  readonly vertical: string;
  /** The last child. */
  readonly last: string;
  /** Parent to its only child (one group). */
  readonly single: string;
  /** Parent to the first of several children. */
  readonly first: string;
}

/** pstree -A. */
export const ASCII: Symbols = { empty: '  ', branch: '|-', vertical: '| ', last: '`-', single: '---', first: '-+-' };
/** pstree -U (box drawing, U+2500 block). */
export const UNICODE: Symbols = { empty: '  ', branch: '├─', vertical: '│ ', last: '└─', single: '───', first: '─┬─' };

/**
 * A structural id per subtree: two subtrees have the same id exactly when pstree's
 * tree_equal holds (same label, same number of children, children equal pairwise in order).
 * Computed bottom-up with an explicit stack and a table of (label, child ids) keys, so each
 * comparison of siblings is one integer comparison.
 */
export function subtreeIds(roots: readonly DrawNode[]): Map<DrawNode, number> {
  const ids = new Map<DrawNode, number>();
  const table = new Map<string, number>();
  const stack: [DrawNode, boolean][] = roots.map((r) => [r, false]);
  while (stack.length > 0) {
    const [node, expanded] = stack.pop()!;
    if (!expanded) {
      stack.push([node, true]);
      for (const c of node.children) stack.push([c, false]);
      continue;
    }
    // JSON of [label, ids]: unambiguous whatever the label holds.
    const key = JSON.stringify([node.label, node.children.map((c) => ids.get(c)!)]);
    let id = table.get(key);
    if (id === undefined) table.set(key, (id = table.size));
    ids.set(node, id);
  }
  return ids;
}

/** Children grouped as pstree compacts them: each with the number of identical later siblings folded into it. */
function groups(
  children: readonly DrawNode[],
  ids: Map<DrawNode, number> | undefined,
  threadsOnly: boolean,
): { node: DrawNode; count: number }[] {
  if (ids === undefined) return children.map((node) => ({ node, count: 1 }));
  const out: { node: DrawNode; count: number }[] = [];
  const byId = new Map<number, { node: DrawNode; count: number }>();
  for (const node of children) {
    if (threadsOnly && !node.thread) {
      out.push({ node, count: 1 });
      continue;
    }
    const id = ids.get(node)!;
    const g = byId.get(id);
    if (g !== undefined) g.count++;
    else {
      const fresh = { node, count: 1 };
      byId.set(id, fresh);
      out.push(fresh);
    }
  }
  return out;
}

interface Frame {
  readonly node: DrawNode;
  readonly level: number;
  readonly rep: number;
  /** The first child of its parent: continues the parent's line. */
  readonly first: boolean;
  readonly last: boolean;
  /** Brackets to close at the end of a leaf's line. */
  readonly closing: number;
  /** `---` or `-+-` before a first child. */
  readonly connector: string;
  /**
   * What pstree writes before this node's own branch on a line of its own: for each
   * ancestor but the parent, its column's padding and `| ` (its branch goes on) or blank.
   * Built from the parent's, so each line costs its own length, not its depth times a loop.
   */
  readonly base: string;
  /** The parent's column width (pstree's width[level - 1]). */
  readonly parentWidth: number;
}

/**
 * The lines of `roots` in pstree's layout.
 * @param compact fold identical sibling subtrees into `N*[...]` (pstree without -p / -c)
 * @param onePerLine pstree -a's layout: every node on its own line, only threads compacted
 */
export function drawTree(roots: readonly DrawNode[], sym: Symbols, compact: boolean, onePerLine: boolean): string[] {
  const ids = compact ? subtreeIds(roots) : undefined;
  const lines: string[] = [];
  for (const root of roots) {
    let line = '';
    const stack: Frame[] = [{ node: root, level: 0, rep: 1, first: true, last: true, closing: 0, connector: '', base: '', parentWidth: 0 }];
    while (stack.length > 0) {
      const f = stack.pop()!;
      if (f.first && !onePerLine) line += f.connector;
      else if (f.level > 0) line += `${f.base}${' '.repeat(f.parentWidth + 1)}${f.last ? sym.last : sym.branch}`;
      let add = 0;
      if (f.rep >= 2) {
        const prefix = `${f.rep}*[`;
        line += prefix;
        add = prefix.length;
      }
      line += f.node.label;
      const kids = groups(f.node.children, ids, onePerLine);
      if (kids.length === 0) {
        lines.push(line + ']'.repeat(f.closing));
        line = '';
      } else if (onePerLine) {
        lines.push(line);
        line = '';
      }
      // pstree -a indents every level by two columns (one for a one-character name).
      const width = onePerLine ? (displayLength(f.node.label) > 1 ? 1 : 0) : displayLength(f.node.label) + add;
      const base = f.level === 0 ? '' : `${f.base}${' '.repeat(f.parentWidth + 1)}${f.last ? sym.empty : sym.vertical}`;
      for (let i = kids.length - 1; i >= 0; i--) {
        const { node, count } = kids[i];
        stack.push({
          node,
          level: f.level + 1,
          rep: count,
          first: i === 0,
          last: i === kids.length - 1,
          closing: (onePerLine ? 0 : f.closing) + (count > 1 ? 1 : 0),
          connector: i === 0 ? (kids.length > 1 ? sym.first : sym.single) : '',
          base,
          parentWidth: width,
        });
      }
    }
  }
  return lines;
}
