/**
 * What happens to supervised children when this process ends. Each live supervisor is
 * registered here; on the way out their groups are SIGKILLed synchronously:
 * - process 'exit' (a normal end, `process.exit()`, an uncaught exception): the hook
 *   runs before the process is gone;
 * - SIGTERM, SIGINT, SIGHUP: Node would die of them without an 'exit' event. While a
 *   supervisor is live, a listener is installed for each; when the signal comes and no
 *   other listener wants it, the groups are killed, the listener is removed and the signal
 *   is raised again, so the process still dies of it (with the status a parent expects).
 *   When the application listens to the signal too, it decides (and should call stop()).
 * A SIGKILL runs nothing: PR_SET_PDEATHSIG and the group keeper cover that (group.ts).
 * @internal
 */

/** A supervisor as the hook sees it. */
export interface ExitHookEntry {
  /** Kills the child's group at once, synchronously. */
  killNow(): void;
}

const live = new Set<ExitHookEntry>();
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
let installed = false;

function killAll(): void {
  for (const entry of live) entry.killNow();
}

/** What the hooks do on the way out, callable by the tests (the process goes on). @internal */
export const killAllOnExitForTests = killAll;

function onExit(): void {
  killAll();
}

// Marks this listener, so that another copy of this module loaded in the same process (two
// versions of the package, dist/ beside lib/) is not taken for the application's listener:
// each copy would otherwise leave the signal to the other, and the process would ignore it.
const HOOK = Symbol.for('unixproc.supervise.exitHook');

function onSignal(signal: NodeJS.Signals): void {
  // Another listener: the application handles the signal (and its supervisors) itself.
  if (process.listeners(signal).some((l) => !(HOOK in l))) return;
  killAll();
  uninstall();
  process.kill(process.pid, signal); // no listener left: the default action, death by it
}

Object.defineProperty(onSignal, HOOK, { value: true });

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', onExit);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Registers a live supervisor (installs the hooks with the first). @internal */
export function registerLive(entry: ExitHookEntry): void {
  live.add(entry);
  install();
}

/** Unregisters it (removes the hooks with the last). @internal */
export function unregisterLive(entry: ExitHookEntry): void {
  live.delete(entry);
  if (live.size === 0) uninstall();
}
