/**
 * How `unixproc top` draws a sample: the header, the column heading and the rows, each
 * line escaped (lib/escape.ts) and fitted to the terminal's width so that nothing ever
 * wraps: optional columns are dropped on a narrow terminal, COMMAND is cut last. Styles
 * (heading, zombie, orphan) are returned beside the text; the screen turns them into
 * colour, a snapshot leaves them out. Every row that is a zombie or a leaked orphan also
 * carries a marker (`Z`, `O`) in its first column, so it shows without colour.
 * @internal
 */
import { escapeCodePoint } from '../escape';
import { formatPercent } from './ps-columns';
import type { Filter, PlacedRow, Sample, SortKey, TopRow } from './top-model';

/** What the user chose to see. */
export interface View {
  sort: SortKey;
  ascending: boolean;
  filter: Filter;
  /** What the user typed for the user filter (shown in the header). */
  userText: string;
  threads: boolean;
  tree: boolean;
  cmdline: boolean;
  /** Seconds between refreshes. */
  delay: number;
  /** Rows scrolled past (arrow keys, PgUp/PgDn). */
  offset: number;
}

/** How a line is drawn: plain, or one of the highlighted kinds. */
export type LineStyle = 'plain' | 'heading' | 'zombie' | 'orphan' | 'status';

/** One screen line: escaped text that fits the width, and its style. */
export interface Line {
  readonly text: string;
  readonly style: LineStyle;
}

/**
 * How many terminal cells `s` (already escaped) takes, never fewer than it really does:
 * one per code point below U+1100, two from there on (wide CJK, Hangul, emoji; some
 * narrow ones are counted as two, which only leaves a cell unused, never wraps).
 */
export function cellWidth(s: string): number {
  let n = 0;
  for (const ch of s) n += (ch.codePointAt(0) as number) >= 0x1100 ? 2 : 1;
  return n;
}

/**
 * `raw` escaped and cut to at most `width` cells: when it does not fit, as much as fits in
 * `width - 1` cells and a `+` (procps top's mark of a cut field). Never cuts inside an
 * escape sequence such as `\x1b`.
 */
export function fit(raw: string, width: number): string {
  if (width <= 0) return '';
  const parts: string[] = [];
  let total = 0;
  for (const ch of raw) {
    const e = escapeCodePoint(ch);
    parts.push(e);
    total += cellWidth(e);
  }
  if (total <= width) return parts.join('');
  let out = '';
  let used = 0;
  for (const e of parts) {
    const w = cellWidth(e);
    if (used + w > width - 1) break;
    out += e;
    used += w;
  }
  return `${out}+`;
}

/** `text` (escaped) padded with spaces to `width` cells, on the left when `right`. */
function pad(text: string, width: number, right: boolean): string {
  const gap = ' '.repeat(Math.max(0, width - cellWidth(text)));
  return right ? gap + text : text + gap;
}

/** Bytes as procps top shows memory: KiB, or m/g/t with a decimal when the KiB do not fit. */
export function formatMemory(bytes: number, width: number): string {
  const kib = Math.round(bytes / 1024);
  if (String(kib).length <= width) return String(kib);
  let v = kib;
  for (const unit of ['m', 'g', 't', 'p']) {
    v /= 1024;
    const text = `${v.toFixed(1)}${unit}`;
    if (text.length <= width) return text;
    const whole = `${Math.round(v)}${unit}`;
    if (whole.length <= width) return whole;
  }
  return `${Math.round(v)}p`;
}

/** CPU seconds as procps top's TIME+: minutes:seconds.hundredths. */
export function formatTimePlus(seconds: number): string {
  const hundredths = Math.floor(seconds * 100);
  const m = Math.floor(hundredths / 6000);
  const s = Math.floor(hundredths / 100) % 60;
  const h = hundredths % 100;
  return `${m}:${String(s).padStart(2, '0')}.${String(h).padStart(2, '0')}`;
}

interface TopColumn {
  readonly key: SortKey;
  readonly heading: string;
  /** The narrowest the column is drawn; wider when a cell needs it. */
  readonly width: number;
  readonly right: boolean;
  /** Order in which optional columns are dropped on a narrow terminal (1 first); 0 never. */
  readonly drop: number;
  cell(r: TopRow, width: number): string;
}

const COLUMNS: readonly TopColumn[] = [
  { key: 'pid', heading: 'PID', width: 7, right: true, drop: 0, cell: (r) => String(r.id) },
  { key: 'user', heading: 'USER', width: 8, right: false, drop: 5, cell: (r, w) => fit(r.user, w) },
  { key: 'pr', heading: 'PR', width: 3, right: true, drop: 1, cell: (r) => String(r.priority) },
  { key: 'ni', heading: 'NI', width: 3, right: true, drop: 2, cell: (r) => String(r.nice) },
  { key: 'virt', heading: 'VIRT', width: 7, right: true, drop: 3, cell: (r, w) => formatMemory(r.virt, w) },
  { key: 'res', heading: 'RES', width: 6, right: true, drop: 6, cell: (r, w) => formatMemory(r.res, w) },
  { key: 's', heading: 'S', width: 1, right: false, drop: 0, cell: (r) => fit(r.state, 1) },
  { key: 'cpu', heading: '%CPU', width: 5, right: true, drop: 0, cell: (r) => formatPercent(r.cpu) },
  { key: 'mem', heading: '%MEM', width: 5, right: true, drop: 7, cell: (r) => formatPercent(r.mem) },
  { key: 'time', heading: 'TIME+', width: 9, right: true, drop: 4, cell: (r) => formatTimePlus(r.time) },
];

/** The heading of each sort key, as the header names the sort column. */
export const SORT_HEADINGS: Readonly<Record<SortKey, string>> = {
  ...(Object.fromEntries(COLUMNS.map((c) => [c.key, c.heading])) as Record<SortKey, string>),
  command: 'COMMAND',
};

/** COMMAND gets at least this many cells before optional columns are dropped for it. */
const MIN_COMMAND = 12;

/** The marker of a row: `Z` zombie, `O` leaked orphan, a space otherwise. */
export function marker(r: TopRow): string {
  return r.zombie ? 'Z' : r.orphan ? 'O' : ' ';
}

/**
 * The heading and the rows, fitted to `columns` cells (no limit when undefined): the
 * optional columns are dropped in their order until COMMAND has MIN_COMMAND cells, then
 * COMMAND is cut. A cell wider than its column widens it (an 8-digit pid).
 */
export function tableLines(placed: readonly PlacedRow[], columns: number | undefined): Line[] {
  const widths = COLUMNS.map((c) =>
    Math.max(
      c.width,
      ...placed.map((p) => (c.key === 'user' || c.key === 'virt' || c.key === 'res' ? 0 : cellWidth(c.cell(p.row, c.width)))),
    ),
  );
  let shown = COLUMNS.map((_, i) => i);
  // marker (1) + a space before every column + COMMAND
  const used = (idx: readonly number[]): number => 1 + idx.reduce((n, i) => n + 1 + widths[i], 0) + 1;
  if (columns !== undefined) {
    const droppable = COLUMNS.map((c, i) => [c.drop, i] as const)
      .filter(([d]) => d > 0)
      .sort((a, b) => a[0] - b[0]);
    for (const [, i] of droppable) {
      if (columns - used(shown) >= MIN_COMMAND) break;
      shown = shown.filter((j) => j !== i);
    }
  }
  const render = (mark: string, cells: readonly string[], command: string): string => {
    const line = mark + cells.map((c, k) => ' ' + pad(c, widths[shown[k]], COLUMNS[shown[k]].right)).join('') + ' ';
    if (columns === undefined) return line + command;
    const room = columns - cellWidth(line);
    if (room < 0) return fitEscaped(line, columns);
    return line + fitEscaped(command, room);
  };
  const heading = render(' ', shown.map((i) => COLUMNS[i].heading), 'COMMAND');
  const out: Line[] = [{ text: columns === undefined ? heading : heading.padEnd(columns), style: 'heading' }];
  for (const p of placed) {
    const r = p.row;
    const cells = shown.map((i) => COLUMNS[i].cell(r, widths[i]));
    const command = escapeAll(p.branch) + escapeAll(r.command);
    out.push({ text: render(marker(r), cells, command), style: r.zombie ? 'zombie' : r.orphan ? 'orphan' : 'plain' });
  }
  return out;
}

function escapeAll(raw: string): string {
  let out = '';
  for (const ch of raw) out += escapeCodePoint(ch);
  return out;
}

/** Already-escaped text cut to `width` cells (with `+` when cut). */
function fitEscaped(text: string, width: number): string {
  if (cellWidth(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = cellWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}+`;
}

function uptimeText(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const h = Math.floor(seconds / 3600) % 24;
  const m = Math.floor(seconds / 60) % 60;
  const hm = `${h}:${String(m).padStart(2, '0')}`;
  return days > 0 ? `up ${days} day${days === 1 ? '' : 's'}, ${hm}` : `up ${hm}`;
}

function clock(now: Date): string {
  return [now.getHours(), now.getMinutes(), now.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)}G`;
}

/**
 * Segments laid out on lines of at most `columns` cells: a group starts a line, its
 * segments follow separated by ', ', a segment that does not fit goes on the next line
 * (indented by two), and one longer than a whole line is cut.
 */
export function flow(groups: readonly (readonly string[])[], columns: number | undefined): string[] {
  const out: string[] = [];
  for (const group of groups) {
    let line = '';
    for (const raw of group) {
      const seg = escapeAll(raw);
      if (line === '') line = seg;
      else if (columns === undefined || cellWidth(line) + 2 + cellWidth(seg) <= columns) line += `, ${seg}`;
      else {
        out.push(line);
        line = `  ${seg}`;
      }
    }
    if (line !== '') out.push(line);
  }
  return columns === undefined ? out : out.map((l) => fitEscaped(l, columns));
}

/** The header's segments: clock and load, task counts, memory, and the view. */
export function headerGroups(sample: Sample, view: View, now: Date): string[][] {
  const s = sample.system;
  const first = [`unixproc top ${clock(now)}`];
  if (s.uptime !== undefined) first.push(uptimeText(s.uptime));
  if (s.load !== undefined) first.push(`load average: ${s.load.map((x) => x.toFixed(2)).join(' ')}`);
  const c = sample.counts;
  const tasks = [
    `${sample.threads ? 'Threads' : 'Tasks'}: ${c.total} total`,
    `${c.running} running`,
    `${c.sleeping} sleeping`,
    `${c.stopped} stopped`,
    `${c.zombie} zombie`,
    `${c.orphans} orphan`,
    `${c.daemons} daemon`,
  ];
  const mem = s.memTotal !== undefined ? [`Mem: ${gib(s.memTotal)} total`] : [];
  if (s.memAvailable !== undefined && mem.length > 0) mem.push(`${gib(s.memAvailable)} available`);
  const how = [`sort ${SORT_HEADINGS[view.sort]} ${view.ascending ? 'lowest' : 'highest'} first`];
  if (view.filter.name !== '') how.push(`name ~ "${view.filter.name}"`);
  if (view.filter.uid !== undefined) how.push(`user ${view.userText}`);
  if (view.filter.pids !== undefined) how.push(`pid ${[...view.filter.pids].join(',')}`);
  if (view.threads) how.push('threads');
  if (view.tree) how.push('tree');
  how.push(sample.interval === undefined ? 'first sample' : `%CPU over ${sample.interval.toFixed(1)}s`);
  return [first, tasks, mem, how];
}

/** The prompt being typed (`/` name filter, `u` user, `d` delay), or a one-line message. */
export interface Status {
  readonly prompt?: { readonly label: string; readonly text: string };
  readonly message?: string;
}

/**
 * A whole frame: the header, then (in place of the view line) the prompt or message when
 * there is one, the heading, and the rows from `view.offset`, all fitted to `columns`;
 * at most `rows` lines (every row when undefined: a snapshot).
 */
export function buildFrame(
  sample: Sample,
  placed: readonly PlacedRow[],
  view: View,
  size: { readonly columns: number | undefined; readonly rows: number | undefined },
  status: Status,
  now: Date,
): Line[] {
  const groups = headerGroups(sample, view, now);
  const header: Line[] = flow(groups.slice(0, 3), size.columns).map((text) => ({ text, style: 'plain' as const }));
  if (status.prompt !== undefined) {
    const text = `${status.prompt.label}: ${status.prompt.text}_`;
    // The end of what is being typed stays in sight: cut from the left.
    const escaped = escapeAll(text);
    const keep = size.columns === undefined ? escaped : tail(escaped, size.columns);
    header.push({ text: keep, style: 'status' });
  } else if (status.message !== undefined) {
    header.push({ text: size.columns === undefined ? escapeAll(status.message) : fit(status.message, size.columns), style: 'status' });
  } else {
    for (const text of flow([groups[3]], size.columns)) header.push({ text, style: 'plain' });
  }
  const table = tableLines(placed, size.columns);
  if (size.rows === undefined) return [...header, ...table];
  const lines = header.slice(0, Math.max(0, size.rows - 1));
  const room = Math.max(0, size.rows - lines.length - 1);
  view.offset = Math.max(0, Math.min(view.offset, placed.length - room));
  if (size.rows > lines.length) lines.push(table[0]);
  return [...lines, ...table.slice(1 + view.offset, 1 + view.offset + room)];
}

/** The last `width` cells of escaped `text`. */
function tail(text: string, width: number): string {
  const chars = [...text];
  let used = 0;
  let i = chars.length;
  while (i > 0 && used + cellWidth(chars[i - 1]) <= width) used += cellWidth(chars[--i]);
  return chars.slice(i).join('');
}
