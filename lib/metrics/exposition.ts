/**
 * Writing {@link MetricFamily} values in Prometheus's text exposition format 0.0.4 and in
 * OpenMetrics 1.0.0, and choosing between them from a scraper's Accept header.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/
 * @see https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md
 * @internal
 */
import { invalidArgValue } from '../errors';
import type { MetricFamily } from './types';

/** The two formats: `'text'` (0.0.4) and `'openmetrics'` (1.0.0). */
export type ExpositionFormat = 'text' | 'openmetrics';

/** The Content-Type of each format, as a scraper expects it. */
export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = Object.freeze({
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
});

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Any lone surrogate (a string that is not valid UTF-16 cannot be written as UTF-8). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\ufffd');
}

/**
 * A label value as both formats quote it: backslash as `\\`, double quote as `\"`, line
 * feed as `\n`; every other character as it is, a lone surrogate as U+FFFD (the exposition
 * is UTF-8, and Prometheus rejects a scrape that is not).
 */
export function escapeLabelValue(value: string): string {
  return wellFormed(value).replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/**
 * A HELP text: backslash and line feed escaped in both formats, the double quote too in
 * OpenMetrics (its ABNF escapes it in HELP as in label values; 0.0.4 does not).
 */
export function escapeHelp(help: string, format: ExpositionFormat): string {
  const re = format === 'openmetrics' ? /[\\"\n]/g : /[\\\n]/g;
  return wellFormed(help).replace(re, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** A sample value: Go's spelling of the non-finite values, JavaScript's shortest form otherwise. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelSet(labels: Readonly<Record<string, string>>, family: string): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  const parts: string[] = [];
  for (const name of names.sort()) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw invalidArgValue(`label name of ${family}`, name, 'must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __');
    }
    const value = labels[name];
    if (typeof value !== 'string') throw invalidArgValue(`label ${name} of ${family}`, value, 'must be a string');
    parts.push(`${name}="${escapeLabelValue(value)}"`);
  }
  return `{${parts.join(',')}}`;
}

function checkFamily(f: MetricFamily, seen: Set<string>): void {
  if (!METRIC_NAME.test(f.name)) throw invalidArgValue('metric name', f.name, 'must match [a-zA-Z_:][a-zA-Z0-9_:]*');
  if (f.type === 'counter' && f.name.endsWith('_total')) {
    throw invalidArgValue('counter name', f.name, 'must not end in _total: the exposition adds it');
  }
  if (f.type === 'info' && f.name.endsWith('_info')) throw invalidArgValue('info metric name', f.name, 'must not end in _info: the exposition adds it');
  if (f.type !== 'gauge' && f.type !== 'counter' && f.type !== 'info') {
    throw invalidArgValue(`type of ${f.name}`, f.type, "must be 'gauge', 'counter' or 'info'");
  }
  if (seen.has(f.name)) throw invalidArgValue('metric name', f.name, 'is given twice: a family is written once');
  seen.add(f.name);
}

/**
 * The families in one format. In 0.0.4 a counter is written as `<name>_total` (HELP, TYPE
 * and samples) and an info family as a gauge `<name>_info`; in OpenMetrics the family
 * keeps its name (`# TYPE <name> counter`, samples `<name>_total`; `# TYPE <name> info`,
 * samples `<name>_info` of value 1), and the exposition ends with `# EOF`. Label names are
 * sorted, so the same families always give the same bytes.
 * @throws ERR_INVALID_ARG_VALUE for a metric or label name outside the data model's
 *   character set, a counter named `..._total` or info named `..._info`, a family name given
 *   twice, or two samples of one family with the same labels (Prometheus drops such a scrape).
 */
export function formatExposition(families: readonly MetricFamily[], format: ExpositionFormat): string {
  if (format !== 'text' && format !== 'openmetrics') throw invalidArgValue('format', format, "must be 'text' or 'openmetrics'");
  const om = format === 'openmetrics';
  const seen = new Set<string>();
  let out = '';
  for (const f of families) {
    checkFamily(f, seen);
    const sampleName = f.type === 'counter' ? `${f.name}_total` : f.type === 'info' ? `${f.name}_info` : f.name;
    const familyName = om ? f.name : sampleName;
    const type = om ? f.type : f.type === 'info' ? 'gauge' : f.type;
    if (om) {
      out += `# TYPE ${familyName} ${type}\n# HELP ${familyName} ${escapeHelp(f.help, format)}\n`;
    } else {
      out += `# HELP ${familyName} ${escapeHelp(f.help, format)}\n# TYPE ${familyName} ${type}\n`;
    }
    const series = new Set<string>();
    for (const s of f.samples) {
      const labels = labelSet(s.labels, f.name);
      if (series.has(labels)) throw invalidArgValue(`samples of ${f.name}`, labels, 'holds these labels twice');
      series.add(labels);
      out += `${sampleName}${labels} ${formatValue(s.value)}\n`;
    }
  }
  if (om) out += '# EOF\n';
  return out;
}

interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [type, ...rest] = part.split(';').map((x) => x.trim());
    if (type === '') continue;
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
    }
    const qText = params.get('q');
    const q = qText === undefined ? 1 : /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(qText) ? Number(qText) : 0;
    out.push({ type: type.toLowerCase(), params, q });
  }
  return out;
}

/**
 * The format a scraper asked for: OpenMetrics when its Accept header ranks
 * `application/openmetrics-text` (no version, or version 1.0.0) above the text format, the
 * text format 0.0.4 otherwise (no header, `*\/*`, `text/plain`, or anything else: the text
 * format is what every Prometheus reads). Quality values (`;q=`) are honoured; on a tie the
 * text format wins.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (accept === undefined || accept.trim() === '') return 'text';
  let om = 0;
  let text = 0;
  for (const r of parseAccept(accept)) {
    const version = r.params.get('version');
    if (r.type === 'application/openmetrics-text' && (version === undefined || version === '1.0.0')) om = Math.max(om, r.q);
    else if (r.type === 'text/plain' && (version === undefined || version === '0.0.4')) text = Math.max(text, r.q);
    else if (r.type === '*/*' || r.type === 'text/*') text = Math.max(text, r.q);
  }
  return om > text ? 'openmetrics' : 'text';
}
