/**
 * Procfiles and .env files, as foreman, honcho and overmind read them, for
 * `unixproc supervise --procfile`. Both are hostile input: every line that is not blank, a
 * comment, or a well-formed entry is an error naming its file and line number.
 * @internal
 */
import { escapeText } from './text';

/** One `name: command` line of a Procfile. */
export interface ProcfileEntry {
  /** The process type's name (`web`), also the service's name. */
  readonly name: string;
  /** The command, run by `/bin/sh -c`. */
  readonly command: string;
  /** Its 1-based line number in the file. */
  readonly line: number;
}

/** A Procfile or .env file that does not parse: the message starts with `file:line: `. */
export class ProcfileError extends Error {
  override readonly name = 'ProcfileError';
  constructor(
    readonly file: string,
    readonly line: number,
    what: string,
  ) {
    super(`${file}:${line}: ${what}`);
  }
}

/** The names foreman and honcho accept (`[A-Za-z0-9_-]+`), at most 64 characters. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_LINE = 64 * 1024;

/** Shows a hostile fragment on one line, escaped, quoted, at most 40 characters. */
function shown(s: string): string {
  return `'${escapeText(s.length > 40 ? `${s.slice(0, 40)}...` : s)}'`;
}

/** Splits a file's text into lines (LF or CRLF), rejecting what no text file holds. */
function lines(text: string, file: string): string[] {
  const out = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  out.forEach((l, i) => {
    if (l.length > MAX_LINE) throw new ProcfileError(file, i + 1, `line longer than ${MAX_LINE} characters`);
    if (l.includes('\0')) throw new ProcfileError(file, i + 1, 'a NUL byte (not a text file?)');
  });
  return out;
}

/**
 * Reads a Procfile: `name: command` lines; blank lines and lines starting with `#` are
 * skipped. A line that is anything else, a name used twice, an empty command, or a file
 * with no entry is a {@link ProcfileError}.
 * @param text the file's contents
 * @param file its name, for messages
 */
export function parseProcfile(text: string, file: string): ProcfileEntry[] {
  const entries: ProcfileEntry[] = [];
  const seen = new Map<string, number>();
  lines(text, file).forEach((raw, i) => {
    const line = i + 1;
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    const colon = l.indexOf(':');
    if (colon === -1) throw new ProcfileError(file, line, `not a 'name: command' line: ${shown(l)}`);
    const name = l.slice(0, colon).trim();
    const command = l.slice(colon + 1).trim();
    if (!NAME.test(name)) {
      throw new ProcfileError(file, line, `bad process name ${shown(name)} (letters, digits, '_' and '-', 1 to 64 of them)`);
    }
    if (command === '') throw new ProcfileError(file, line, `no command for '${name}'`);
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(command)) throw new ProcfileError(file, line, `a control character in the command of '${name}'`);
    const first = seen.get(name);
    if (first !== undefined) throw new ProcfileError(file, line, `'${name}' is already defined on line ${first}`);
    seen.set(name, line);
    entries.push({ name, command, line });
  });
  if (entries.length === 0) throw new ProcfileError(file, 1, "no 'name: command' line");
  return entries;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

/**
 * Reads a .env file as foreman and dotenv do: `KEY=value` lines, an optional `export `
 * before the key, values bare (trailing ` # comment` dropped, surrounding blanks trimmed),
 * 'single-quoted' (taken as written) or "double-quoted" (with `\n`, `\t`, `\"` and `\\`
 * escapes). No variable expansion. Blank and `#` lines are skipped; anything else is a
 * {@link ProcfileError}. A key given twice keeps its last value.
 * @param text the file's contents
 * @param file its name, for messages
 */
export function parseEnvFile(text: string, file: string): Map<string, string> {
  const env = new Map<string, string>();
  lines(text, file).forEach((raw, i) => {
    const line = i + 1;
    let l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    if (/^export\s/.test(l)) l = l.slice(6).trimStart();
    const eq = l.indexOf('=');
    if (eq === -1) throw new ProcfileError(file, line, `not a 'KEY=value' line: ${shown(l)}`);
    const key = l.slice(0, eq).trim();
    if (!KEY.test(key)) throw new ProcfileError(file, line, `bad variable name ${shown(key)}`);
    const rest = l.slice(eq + 1).trim();
    env.set(key, envValue(rest, file, line, key));
  });
  return env;
}

function envValue(rest: string, file: string, line: number, key: string): string {
  const q = rest[0];
  if (q === "'" || q === '"') {
    let value = '';
    let i = 1;
    for (; i < rest.length && rest[i] !== q; i++) {
      if (q === '"' && rest[i] === '\\' && i + 1 < rest.length) {
        const e = ESCAPES[rest[i + 1]];
        if (e === undefined) throw new ProcfileError(file, line, `unknown escape '\\${rest[i + 1]}' in the value of ${key}`);
        value += e;
        i++;
      } else {
        value += rest[i];
      }
    }
    if (i >= rest.length) throw new ProcfileError(file, line, `unterminated ${q === '"' ? 'double' : 'single'}-quoted value of ${key}`);
    const after = rest.slice(i + 1).trim();
    if (after !== '' && !after.startsWith('#')) throw new ProcfileError(file, line, `text after the quoted value of ${key}: ${shown(after)}`);
    return value;
  }
  const hash = rest.search(/\s#/);
  const value = (hash === -1 ? rest : rest.slice(0, hash)).trim();
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new ProcfileError(file, line, `a control character in the value of ${key}`);
  return value;
}

/** The 6 colours foreman cycles through (cyan, yellow, green, magenta, red, blue), as SGR codes. */
const COLOURS = [36, 33, 32, 35, 31, 34] as const;

/**
 * Whether output to a stream gets colour: only on a TTY, never when NO_COLOR is set to
 * anything but the empty string (no-color.org), nor when TERM is `dumb`.
 */
export function useColour(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY === true;
}

/**
 * The prefix of each service's lines: its name padded to the longest one, then ` | `,
 * coloured when `colour` (the n-th service gets the n-th colour, cycling).
 */
export function linePrefixes(names: readonly string[], colour: boolean): Map<string, string> {
  const width = Math.max(...names.map((n) => n.length));
  return new Map(
    names.map((n, i) => {
      const text = `${n.padEnd(width)} | `;
      return [n, colour ? `\x1b[${COLOURS[i % COLOURS.length]}m${text}\x1b[0m` : text];
    }),
  );
}
