/**
 * The shape every unixproc collector produces (issue 14): metric families in Prometheus's
 * data model, independent of how they are exposed (`unixproc metrics` writes the text
 * exposition or OpenMetrics; `unixproc/prometheus` hands them to a prom-client registry).
 * Public through `unixproc/prometheus` (a custom collector returns them). No internal tag
 * here: this comment leads the first declaration, and stripInternal would drop MetricType.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/
 */

/** Prometheus metric types unixproc produces (no histograms or summaries). */
export type MetricType = 'gauge' | 'counter' | 'info';

/** One sample: its label values (never a pid: cardinality) and its value. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * One metric family: `name` without a `_total` suffix for counters (the exposition adds it,
 * as OpenMetrics requires), its HELP text, its type, and its samples.
 */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}
