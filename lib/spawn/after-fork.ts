/**
 * In a forked child (unixproc/os `fork()`), the spawn() handles copied from the parent
 * belong to the parent's children, not the child's. Their pidfd exit watches were already
 * made inactive natively (fork-addon/src/inherited.cc: they neither keep the child's event
 * loop alive nor call back); here the child also unrefs them (in the SIGCHLD fallback mode
 * the watch is a shared SIGCHLD handle, which must not stay referenced for them), closes
 * its copies of their stdio pipes (reading them would take the parent's data) and forgets
 * them, so that `waitForExit(pid)` in the child does not wait on the parent's handle.
 * Each handle is made inert (no signal from kill(), its timeout or its AbortSignal, no
 * exit watch); its `wait()` promise never settles in the child. See docs/safety.md.
 * @internal
 */
import { register_at_fork } from '../os/fork';
import { abandonInForkedChild, liveChildren } from './handle';

let registered = false;

/** Registers the hook, once, on the first spawn() (importing registers nothing). @internal */
export function registerAfterForkHook(): void {
  if (registered) return;
  registered = true;
  register_at_fork({
    after_in_child(): void {
      for (const sub of liveChildren.values()) {
        abandonInForkedChild(sub);
        sub.unref();
        for (const stream of [sub.stdin, sub.stdout, sub.stderr]) stream?.destroy();
      }
      liveChildren.clear();
    },
  });
}
