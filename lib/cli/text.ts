/**
 * Human output of the /proc subcommands: escaping, aligned tables, explicit truncation, and
 * the one writer every human line goes through.
 *
 * Every line is built from raw text (process names, command lines, paths straight from
 * /proc) and escaped exactly once, by {@link writeLines}. Escaping works code point by code
 * point, so escaping a whole line equals joining its escaped parts: widths computed with
 * {@link displayLength} stay right after the line is escaped. A comm or an argument is
 * chosen by whoever started the process, so it may hold newlines or a terminal escape
 * sequence (ESC [ ... ) meant to rewrite the screen; none of that reaches the terminal.
 * @internal
 */
import type { CliIO } from './command';

import { escapeCodePoint, escapeText, hex, PLAIN } from '../escape';

export { escapeText };

/** The length of `s` once escaped: what it occupies on the terminal (one column per code unit). */
export function displayLength(s: string): number {
  if (PLAIN.test(s)) return s.length;
  let n = 0;
  for (const ch of s) n += escapeCodePoint(ch).length;
  return n;
}

/**
 * `s` cut so that, escaped, it takes at most `max` columns, with the explicit marker
 * `...[+N]` (N: characters left out) when something was cut. Cuts fall between
 * characters, never inside an escape sequence.
 */
export function truncate(s: string, max: number): string {
  if (displayLength(s) <= max) return s;
  const chars = [...s];
  let kept = '';
  let used = 0;
  let i = 0;
  for (; i < chars.length; i++) {
    const marker = `...[+${chars.length - i}]`.length;
    const w = escapeCodePoint(chars[i]).length;
    if (used + w + marker > max) break;
    kept += chars[i];
    used += w;
  }
  return `${kept}...[+${chars.length - i}]`;
}

/** A column of a {@link table}: its heading and whether its cells are right-aligned. */
export interface Column {
  readonly heading: string;
  readonly right?: boolean;
}

/** How wide human output may be: a terminal's width, or unlimited (undefined). */
export interface Width {
  /** Maximum line length; undefined for no limit (not a terminal, or `--wide`). */
  readonly columns: number | undefined;
}

/** The narrowest the last column is cut to, however little room the others leave. */
const MIN_LAST = 20;

/**
 * Aligned rows (raw text: {@link writeLines} escapes them) under a heading. The last
 * column is not padded, and is the only one ever cut, with an explicit marker, when a
 * line would be longer than `width.columns`.
 */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[], width: Width): string[] {
  const widths = columns.map((c, i) => Math.max(displayLength(c.heading), ...rows.map((r) => displayLength(r[i]))));
  const last = columns.length - 1;
  const render = (cells: readonly string[]): string => {
    const parts = cells.map((cell, i) => {
      if (i === last) return cell;
      const pad = ' '.repeat(widths[i] - displayLength(cell));
      return columns[i].right === true ? pad + cell : cell + pad;
    });
    const line = parts.join('  ');
    if (width.columns === undefined) return line;
    const prefix = parts.slice(0, last).join('  ') + (last > 0 ? '  ' : '');
    const room = Math.max(MIN_LAST, width.columns - displayLength(prefix));
    return prefix + truncate(cells[last], room);
  };
  return [render(columns.map((c) => c.heading)).trimEnd(), ...rows.map(render)];
}

/**
 * CPU time as ps prints it: `[DD-]HH:MM:SS`, seconds rounded down.
 */
export function formatCpuTime(seconds: number): string {
  const total = Math.floor(seconds);
  if (total === 0) return '00:00:00'; // most processes of a table
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600) % 24;
  const d = Math.floor(total / 86400);
  const hms = [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
  return d > 0 ? `${d}-${hms}` : hms;
}

/** Writes human lines to stdout, each escaped ({@link escapeText}), one per line. */
export function writeLines(io: CliIO, lines: readonly string[]): void {
  if (lines.length === 0) return;
  io.stdout.write(lines.map(escapeText).join('\n') + '\n');
}

/** Writes one human line to stderr (escaped). */
export function writeError(io: CliIO, line: string): void {
  io.stderr.write(`${escapeText(line)}\n`);
}

// What JSON.stringify leaves raw although a terminal acts on it: DEL, the C1 controls
// (U+009B is CSI in terminals that honour C1) and the characters of INVISIBLE.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * The JSON text of every `--json` output (one shape for a process: the library's own
 * objects, as listProcesses() returns them, docs/conventions.md): Dates become ISO strings
 * (their toJSON), and an absent value (`undefined`) becomes `null`, so every key of the
 * library's objects is always there for scripts. The characters JSON.stringify leaves raw
 * but a terminal would act on (DEL, C1 controls, line separators, bidi controls) are
 * written as `\uHHHH`: the same JSON value, safe to print on a terminal.
 * @param indent - 2 for a document, 0 for one line.
 */
export function jsonText(value: unknown, indent: number): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (v === undefined ? null : v), indent);
  return text.replace(JSON_UNSAFE, (ch) => `\\u${hex(ch.charCodeAt(0), 4)}`);
}

/** Writes one JSON document (2-space indented, see {@link jsonText}) to stdout. */
export function writeJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${jsonText(value, 2)}\n`);
}
