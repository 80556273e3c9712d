/**
 * Signal handlers installed before a command starts what it runs: a signal that arrives
 * while the supervisor (or the guarded command) is being started is held, and handed to
 * the handler once there is one, instead of killing this process with its default action
 * (which would leave what it had just started to escape: its stop never runs).
 * @internal
 */
export interface HeldSignals {
  /** From now on (and first, for every signal held until now, in order) signals go to `handler`. */
  handle(handler: (signal: NodeJS.Signals) => void): void;
  /** Removes the listeners. */
  release(): void;
}

/** Starts listening for `signals` now. @internal */
export function holdSignals(signals: readonly NodeJS.Signals[]): HeldSignals {
  const pending: NodeJS.Signals[] = [];
  let handler: ((signal: NodeJS.Signals) => void) | undefined;
  const listener = (signal: NodeJS.Signals): void => {
    if (handler === undefined) pending.push(signal);
    else handler(signal);
  };
  for (const s of signals) process.on(s, listener);
  return {
    handle(h) {
      handler = h;
      for (const s of pending.splice(0)) h(s);
    },
    release() {
      for (const s of signals) process.removeListener(s, listener);
    },
  };
}
