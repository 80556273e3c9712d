/**
 * The JS side of the spawn queue (native/spawn_queue.cc): spawnChild's work done on the
 * library's own thread; the event loop queues a request and gets its result later, in
 * the order the requests were queued. @internal
 */
import { register_at_fork } from '../os/fork';
import { systemError } from '../errors';
import { native } from '../native';

type QueueHandle = { readonly __unixprocSpawnQueue: unique symbol };

/** spawnChild's result: -errno, [-errno, step], or [pid, pidfd, stdin, stdout, stderr]. */
export type ChildResult = number | number[];

interface QueueBinding {
  spawnQueue(dispatch: (id: number, result: ChildResult) => void): QueueHandle | number;
  spawnChildQueued(...args: unknown[]): number;
  spawnQueueRef(queue: QueueHandle, ref: boolean): number;
  spawnQueueClaim(queue: QueueHandle): number;
  closeFd(fd: number): number;
}

const binding = (): QueueBinding => native<QueueBinding>();

/** How many requests may wait or run at once, for the whole process (kCapacity natively). */
export const SPAWN_QUEUE_CAPACITY = 1024;

let queue: QueueHandle | undefined;
let nextId = 1;
const owed = new Map<number, { resolve: (r: ChildResult) => void; reject: (e: Error) => void }>();

/** A result nobody waits for (only after a fork(): the parent's request): its fds are closed. */
function closeResult(result: ChildResult): void {
  if (typeof result === 'number' || result[0] < 0) return;
  for (const fd of result.slice(1)) if (fd >= 0) binding().closeFd(fd);
}

/**
 * Called from the event loop with each result. Its first act claims the result: from then
 * on it is this side's (natively, an unclaimed result's child is SIGKILLed and reaped: a
 * Worker terminated before the claim).
 */
function dispatch(id: number, result: ChildResult): void {
  if (queue !== undefined) binding().spawnQueueClaim(queue);
  const w = owed.get(id);
  if (w === undefined) {
    closeResult(result);
    return;
  }
  owed.delete(id);
  if (owed.size === 0 && queue !== undefined) binding().spawnQueueRef(queue, false);
  w.resolve(result);
}

function theQueue(): QueueHandle {
  if (queue !== undefined) return queue;
  const q = binding().spawnQueue(dispatch);
  if (typeof q === 'number') throw systemError(q, 'spawn');
  queue = q;
  register_at_fork({
    after_in_child(): void {
      // The parent's requests: its thread makes (or made) those children, not this process.
      const lost = [...owed.values()];
      owed.clear();
      if (queue !== undefined) binding().spawnQueueRef(queue, false);
      for (const w of lost) w.reject(systemError(-10 /* ECHILD */, 'spawn'));
    },
  });
  return q;
}

/**
 * Queues spawnChild(...args) and resolves with its result. Rejects with EAGAIN (`syscall`
 * 'spawn') when SPAWN_QUEUE_CAPACITY requests are already waiting or running.
 */
export function queueSpawnChild(args: readonly unknown[]): Promise<ChildResult> {
  const q = theQueue();
  const id = nextId++;
  const rc = binding().spawnChildQueued(...args, q, id);
  if (rc !== 0) {
    const e = systemError(rc, 'spawn');
    if (rc === -11) e.message += ` (${SPAWN_QUEUE_CAPACITY} spawns already queued: await some of them first)`;
    return Promise.reject(e);
  }
  if (owed.size === 0) binding().spawnQueueRef(q, true);
  return new Promise((resolve, reject) => owed.set(id, { resolve, reject }));
}
