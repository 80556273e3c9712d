// The exposition of lib/metrics: the text format 0.0.4 and OpenMetrics 1.0.0 as their specs
// write them (escaping, suffixes, # EOF), and the Accept header negotiation.
import { escapeHelp, escapeLabelValue, formatExposition, formatValue, negotiateFormat } from '../../lib/metrics/exposition';
import { labelText } from '../../lib/metrics/labels';
import type { MetricFamily } from '../../lib/metrics/types';

const families: MetricFamily[] = [
  { name: 'x_up', help: 'Up.', type: 'gauge', samples: [{ labels: {}, value: 1 }] },
  { name: 'x_cpu_seconds', help: 'CPU.', type: 'counter', samples: [{ labels: { mode: 'user' }, value: 1.5 }] },
  { name: 'x_build', help: 'Build.', type: 'info', samples: [{ labels: { version: '1.0' }, value: 1 }] },
];

describe('formatExposition', () => {
  test('writes the text format 0.0.4: HELP then TYPE, counters as _total, info as a gauge _info', () => {
    expect(formatExposition(families, 'text')).toBe(
      [
        '# HELP x_up Up.',
        '# TYPE x_up gauge',
        'x_up 1',
        '# HELP x_cpu_seconds_total CPU.',
        '# TYPE x_cpu_seconds_total counter',
        'x_cpu_seconds_total{mode="user"} 1.5',
        '# HELP x_build_info Build.',
        '# TYPE x_build_info gauge',
        'x_build_info{version="1.0"} 1',
        '',
      ].join('\n'),
    );
  });

  test('writes OpenMetrics 1.0.0: the family name in TYPE, _total and _info on samples, # EOF last', () => {
    expect(formatExposition(families, 'openmetrics')).toBe(
      [
        '# TYPE x_up gauge',
        '# HELP x_up Up.',
        'x_up 1',
        '# TYPE x_cpu_seconds counter',
        '# HELP x_cpu_seconds CPU.',
        'x_cpu_seconds_total{mode="user"} 1.5',
        '# TYPE x_build info',
        '# HELP x_build Build.',
        'x_build_info{version="1.0"} 1',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  test('escapes backslash, double quote and newline in label values, and sorts label names', () => {
    const f: MetricFamily = { name: 'x', help: 'h', type: 'gauge', samples: [{ labels: { z: 'a\\b"c\nd', a: 'e' }, value: 2 }] };
    expect(formatExposition([f], 'text').split('\n')[2]).toBe('x{a="e",z="a\\\\b\\"c\\nd"} 2');
  });

  test('escapes HELP per format: backslash and newline in 0.0.4, the double quote too in OpenMetrics', () => {
    expect(escapeHelp('a\\b\n"c"', 'text')).toBe('a\\\\b\\n"c"');
    expect(escapeHelp('a\\b\n"c"', 'openmetrics')).toBe('a\\\\b\\n\\"c\\"');
  });

  test('writes a lone surrogate as U+FFFD: the output is always valid UTF-8', () => {
    const v = escapeLabelValue('a\udcffb\ud800');
    expect(v).toBe('a\ufffdb\ufffd');
    expect(Buffer.from(v, 'utf8').toString('utf8')).toBe(v);
    expect(escapeLabelValue('\ud83d\ude00')).toBe('\ud83d\ude00'); // a real pair is kept
  });

  test('spells the non-finite values as Go does', () => {
    expect([NaN, Infinity, -Infinity, 0, 2.5, 1e21].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0', '2.5', '1e+21']);
  });

  test('refuses names outside the data model, a counter named _total, a family or a series given twice', () => {
    const bad = (f: Partial<MetricFamily>[]): (() => string) => () =>
      formatExposition(f.map((x) => ({ name: 'x', help: 'h', type: 'gauge', samples: [], ...x }) as MetricFamily), 'text');
    expect(bad([{ name: 'x-y' }])).toThrow(/metric name/);
    expect(bad([{ name: 'x_total', type: 'counter' }])).toThrow(/must not end in _total/);
    expect(bad([{ name: 'x_info', type: 'info' }])).toThrow(/must not end in _info/);
    expect(bad([{}, {}])).toThrow(/given twice/);
    expect(bad([{ samples: [{ labels: { 'a-b': 'x' }, value: 1 }] }])).toThrow(/label name/);
    expect(bad([{ samples: [{ labels: { __a: 'x' }, value: 1 }] }])).toThrow(/label name/);
    expect(bad([{ samples: [{ labels: { a: '1' }, value: 1 }, { labels: { a: '1' }, value: 2 }] }])).toThrow(/twice/);
    expect(() => formatExposition([], 'json' as never)).toThrow(/'text' or 'openmetrics'/);
  });
});

describe('negotiateFormat', () => {
  test("chooses OpenMetrics for Prometheus 2.x's Accept header", () => {
    const prometheus = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    expect(negotiateFormat(prometheus)).toBe('openmetrics');
    expect(negotiateFormat('application/openmetrics-text')).toBe('openmetrics');
  });

  test('chooses the text format without a header, for */*, text/plain, another OpenMetrics version, or a lower q', () => {
    expect(negotiateFormat(undefined)).toBe('text');
    expect(negotiateFormat('')).toBe('text');
    expect(negotiateFormat('*/*')).toBe('text');
    expect(negotiateFormat('text/plain;version=0.0.4')).toBe('text');
    expect(negotiateFormat('application/openmetrics-text;version=0.0.1')).toBe('text');
    expect(negotiateFormat('application/openmetrics-text;q=0.4,text/plain;q=0.5')).toBe('text');
    expect(negotiateFormat('application/openmetrics-text;q=0,*/*')).toBe('text');
    expect(negotiateFormat('application/openmetrics-text;q=junk')).toBe('text');
    expect(negotiateFormat('application/openmetrics-text; version="1.0.0"; q=0.9, text/plain; q=0.5')).toBe('openmetrics');
  });
});

describe('labelText (what the collectors put in a label from a process name)', () => {
  test('is the name itself when it is plain', () => {
    expect(labelText('nginx: worker')).toBe('nginx: worker');
  });

  test('shows control characters, backslashes and bytes that are not UTF-8 escaped, unambiguously', () => {
    expect(labelText('a\\b\nc\x1b[2J\udcff')).toBe('a\\\\b\\nc\\x1b[2J\\xff');
    expect(labelText('\\xff')).toBe('\\\\xff'); // a real backslash-x is not a byte
    expect(labelText('\u202e')).toBe('\\u202e');
  });
});
