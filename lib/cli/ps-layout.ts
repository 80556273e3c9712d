/**
 * Lays a table of processes out to fit a terminal: every line at most `width` columns, so
 * nothing wraps. The last column, when it is free text (COMMAND), is cut last, with the
 * explicit marker `...[+N]`; before it would be cut below {@link MIN_CUT} columns, optional
 * columns are dropped, lowest drop rank first. Cells are raw text: widths are measured as
 * escaped ({@link displayLength}), so they stay right once writeLines escapes the lines.
 * @internal
 */
import type { PsColumn } from './ps-columns';
import { displayLength, truncate } from './text';

/** One column of a table being laid out. */
export interface LayoutColumn {
  readonly column: PsColumn;
  /** The heading shown (the column's own, or the one `-o key=HEADING` gave). */
  readonly heading: string;
  /**
   * Dropped to fit a narrow terminal, lowest rank first; undefined: never dropped.
   */
  readonly dropRank?: number;
}

/** The narrowest a cut last column is left, marker included (`comm...[+12]`). */
export const MIN_CUT = 12;

/** What {@link layoutTable} made: the lines, and the columns it left out to fit. */
export interface Layout {
  readonly lines: string[];
  readonly dropped: readonly LayoutColumn[];
}

const SEP = '  ';

/**
 * Renders `rows` (one cell per column, raw text) under the headings. With `width`
 * undefined (not a terminal, or --wide) nothing is cut or dropped. No heading line when
 * every heading is empty (`-o pid=`, as procps).
 */
export function layoutTable(columns: readonly LayoutColumn[], rows: readonly (readonly string[])[], width: number | undefined): Layout {
  // Every cell's escaped length, measured once (a row's lengths in one flat array): the
  // widths need them and so does the padding.
  const ncols = columns.length;
  const lengths = new Array<number>(rows.length * ncols);
  const widths = columns.map((c) => displayLength(c.heading));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let i = 0; i < ncols; i++) {
      const n = displayLength(row[i]);
      lengths[r * ncols + i] = n;
      if (n > widths[i]) widths[i] = n;
    }
  }
  let active = columns.map((_, i) => i);
  const dropped: LayoutColumn[] = [];
  const needed = (idx: readonly number[]): number => {
    let n = 0;
    idx.forEach((i, k) => {
      const last = k === idx.length - 1;
      const w = last && columns[i].column.cut ? Math.min(widths[i], MIN_CUT) : widths[i];
      n += w + (k > 0 ? SEP.length : 0);
    });
    return n;
  };
  if (width !== undefined) {
    while (needed(active) > width) {
      let victim = -1;
      for (const i of active) {
        const r = columns[i].dropRank;
        if (r === undefined) continue;
        const best = victim === -1 ? undefined : columns[victim].dropRank;
        if (best === undefined || r < best || (r === best && i > victim)) victim = i;
      }
      if (victim === -1) break;
      dropped.push(columns[victim]);
      active = active.filter((i) => i !== victim);
    }
  }
  const lastIdx = active[active.length - 1];
  const pads: string[] = [];
  const pad = (n: number): string => pads[n] ?? (pads[n] = ' '.repeat(n));
  // `at`: where the row's lengths start in `lengths`; -1 for the heading line
  const render = (cells: readonly string[], at: number): string => {
    const len = (i: number): number => (at < 0 ? displayLength(cells[i]) : lengths[at + i]);
    // every column but the last, padded, each followed by SEP (one string per row: this
    // runs for every process)
    let prefix = '';
    for (let k = 0; k < active.length - 1; k++) {
      const i = active[k];
      const cell = cells[i];
      const p = pad(widths[i] - len(i));
      prefix += (columns[i].column.right ? p + cell : cell + p) + SEP;
    }
    let last = cells[lastIdx];
    // a right-aligned last column is padded too (numbers line up); free text is not
    if (columns[lastIdx].column.right) last = pad(widths[lastIdx] - len(lastIdx)) + last;
    let line = prefix + last;
    if (width !== undefined && displayLength(line) > width) {
      const room = width - displayLength(prefix);
      if (columns[lastIdx].column.cut && room >= MIN_CUT) line = prefix + truncate(last, room);
      else if (width >= MIN_CUT) line = truncate(line, width);
    }
    return at < 0 ? line.trimEnd() : line;
  };
  const lines = columns.every((c) => c.heading === '') ? [] : [render(columns.map((c) => c.heading), -1)];
  for (let r = 0; r < rows.length; r++) lines.push(render(rows[r], r * ncols));
  return { lines, dropped };
}
