/**
 * Start-up of `unixproc ps` (issue 14, item 4: within 1.3x procps `ps` end to end). Imported
 * by the bin (./main.ts) before anything else: for the common invocations (`ps`, `ps -e`,
 * `ps -ef`, `ps aux`...) it starts the table scan on native threads at once, so the kernel's
 * reads of /proc run while Node loads and compiles the rest of the command; the command's
 * own first scan then takes that result (lib/proc/binding.ts prefetchScan) instead of
 * starting one. It is only a head start: for anything it does not know the scan of (other
 * options, a --procfs root, a typo) it starts nothing, and a guess the command does not
 * confirm (same root, same extras, within a second) is thrown away and scanned again, so
 * what is printed never depends on it.
 * @internal
 */
import { Extra, prefetchScan } from '../proc/binding';
import { DEFAULT_PROCFS } from '../proc/options';

/** Selections that do not change what is read. */
const EVERY = new Set(['-e', '-A', '--kernel']);
/** Formats with the command line (-f's CMD, --cmdline's COMMAND). */
const WITH_CMDLINE = new Set(['-f', '-ef', '-Af', '--cmdline']);
/** BSD words: with u, the first scan is the stat-only one of the %CPU sample; without, BSD's COMMAND is the command line. */
const BSD_USER = new Set(['aux', 'auxw', 'auxww', 'ux']);
const BSD_PLAIN = new Set(['ax', 'axw', 'axww', 'x']);

/**
 * The extras mask of the first whole-table scan `unixproc <argv>` makes, for the argument
 * lists known here; undefined for any other (test/integration/cli-ps-prefetch.test.ts runs
 * each known list and checks that the command's scan took the prefetch).
 */
export function predictedScanExtras(argv: readonly string[]): number | undefined {
  if (argv[0] !== 'ps') return undefined;
  let cmdline = false;
  let bsd: 'user' | 'plain' | undefined;
  for (const a of argv.slice(1)) {
    if (EVERY.has(a)) continue;
    if (WITH_CMDLINE.has(a) && !cmdline) cmdline = true;
    else if (BSD_USER.has(a) && bsd === undefined) bsd = 'user';
    else if (BSD_PLAIN.has(a) && bsd === undefined) bsd = 'plain';
    else return undefined;
  }
  if (bsd !== undefined) return cmdline ? undefined : bsd === 'user' ? 0 : Extra.cmdline | Extra.status;
  return cmdline ? Extra.cmdline | Extra.status : Extra.status;
}

/** Starts the scan `unixproc <argv>` will make, when it is known. Never throws. */
export function prefetchFor(argv: readonly string[]): void {
  const extras = predictedScanExtras(argv);
  if (extras === undefined) return;
  try {
    prefetchScan(DEFAULT_PROCFS, extras);
  } catch {
    // No addon here (another platform, no binary): the command itself reports it.
  }
}

prefetchFor(process.argv.slice(2));
