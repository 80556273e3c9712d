/**
 * V8's optimizing tiers for the commands that print once and exit (issue 14, item 4). Such a
 * run is ~100 ms of JavaScript executed once: a function that turns hot there (building 2000
 * table entries, formatting their cells) gets compiled by Maglev or TurboFan on V8's
 * background threads, work that is thrown away a few milliseconds later and that competes
 * with the scan's own threads for the cores. With the tiers above Sparkplug (V8's baseline
 * compiler, which is cheap) left out, `unixproc ps` at 2000 processes took ~50 ms less CPU
 * in all, ~20% (bench/cli-startup.js, docs/cli.md "Start-up time"). The commands that keep
 * running (top, supervise, metrics, guard) keep every tier.
 *
 * Set through `v8.setFlagsFromString`, which the Node documentation warns may do nothing or
 * worse once the VM runs: `--max-opt` is read only when V8 decides whether to optimize a
 * function, which is why changing it at run time is safe, and it is set before any of the
 * command's code has run. Imported by the bin (./main.ts) right after ./prefetch.ts, so the
 * scan has started when node:v8 loads (~3 ms).
 * @internal
 */
import { setFlagsFromString } from 'node:v8';

/** The commands that print once and exit. */
const ONE_SHOT = new Set(['ps', 'tree', 'zombies', 'orphans', 'daemons']);

/** Whether `unixproc <argv>` runs one of the commands that print once and exit. */
export function isOneShot(argv: readonly string[]): boolean {
  return argv.length > 0 && ONE_SHOT.has(argv[0]);
}

if (isOneShot(process.argv.slice(2))) setFlagsFromString('--max-opt=1');
