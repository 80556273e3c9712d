/**
 * Preloaded (`node --require`, through NODE_OPTIONS) into every Node process that
 * `unixproc guard -- cmd` runs: records who starts each process (lib/guard/provenance.ts)
 * into the run directory the guard made, so that its report names the line that started a
 * leftover. Records nothing when there is no run directory; never throws, never prints
 * (it runs inside the user's programs).
 * @internal
 */
try {
  // Loaded here, inside the try: a program where the recorder cannot load (the permission
  // model without read access to it, say) still runs.
  (require('./provenance') as typeof import('./provenance')).installProvenance();
} catch {
  // A program that cannot be recorded still runs as it would have.
}
