'use strict';
// What every bench shares for its figures: the quantiles of per-block (or per-round)
// ratios, and the machine-readable record of each figure.
//
// A bench measures its contender and its anchors interleaved (ABAB blocks or rounds), so
// the i-th sample of each side was taken at the same moment of the machine's load; the
// ratio is computed per block, then summarised as its median with the p25..p75 spread.
//
// `record()` appends one JSON line per figure to the file named by UNIXPROC_BENCH_JSON
// (bench/index.js --json sets it; `npm run bench -- --json` prints the collected document).
// Without it, record() does nothing and the human output is all there is.
const fs = require('node:fs');
const path = require('node:path');

/** The q-quantile of xs (nearest rank, no interpolation). */
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Median and p25..p75 of the per-block ratios a[i] / b[i]. */
function ratios(a, b) {
  if (a.length !== b.length || a.length === 0) throw new Error(`ratios: ${a.length} against ${b.length} samples`);
  const rs = a.map((x, i) => x / b[i]);
  return { ratio: quantile(rs, 0.5), p25: quantile(rs, 0.25), p75: quantile(rs, 0.75), blocks: rs.length };
}

/** "1.23x (1.10..1.40)" */
function fmtRatio(r) {
  return `${r.ratio.toFixed(2)}x (${r.p25.toFixed(2)}..${r.p75.toFixed(2)})`;
}

const BENCH = path.basename(require.main?.filename ?? process.argv[1] ?? 'bench', '.js');

/**
 * One figure of this bench: { name, value, unit, anchor?, ratio?, p25?, p75?, target?, met? }.
 * `target` is a string such as "<= 1.5x" or ">= 2x"; `met` is computed from it and the ratio
 * when not given.
 */
function record(figure) {
  const file = process.env.UNIXPROC_BENCH_JSON;
  if (!file) return;
  const f = { bench: BENCH, ...figure };
  if (f.target !== undefined && f.met === undefined && typeof f.ratio === 'number') {
    const m = /^\s*(<=|>=)\s*([\d.]+)/.exec(f.target);
    if (m) f.met = m[1] === '<=' ? f.ratio <= Number(m[2]) : f.ratio >= Number(m[2]);
  }
  for (const k of ['value', 'ratio', 'p25', 'p75']) {
    if (typeof f[k] === 'number' && !Number.isFinite(f[k])) f[k] = null;
  }
  fs.appendFileSync(file, `${JSON.stringify(f)}\n`);
}

/** process.env without NODE_EXTRA_CA_CERTS (~90 ms of certificate parsing at every Node start here). */
function envWithoutExtraCa() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

module.exports = { quantile, ratios, fmtRatio, record, envWithoutExtraCa };
