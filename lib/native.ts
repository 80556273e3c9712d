/**
 * Loads the native addon (a prebuilt binary when present, else the one node-gyp built).
 *
 * Linux is the platform: anywhere else, loading fails with an error that names the
 * platform, before any native code is touched.
 * @internal
 */
import * as path from 'node:path';

/** A native function: takes validated plain values, returns plain values or a negative errno. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NativeFunction = (...args: any[]) => any;

let binding: Record<string, NativeFunction> | undefined;

/** Error code thrown when unixproc is loaded on a platform other than Linux. */
export const ERR_UNSUPPORTED_PLATFORM = 'ERR_UNIXPROC_UNSUPPORTED_PLATFORM';

/**
 * The addon's exports, typed by the caller: each module declares the slice it uses.
 * @throws Error with code `ERR_UNIXPROC_UNSUPPORTED_PLATFORM` when not on Linux.
 * @internal
 */
export function native<T>(): T {
  if (binding === undefined) {
    if (process.platform !== 'linux') {
      const err = new Error(
        `unixproc supports Linux only; this process runs on ${process.platform}`,
      ) as Error & { code: string };
      err.code = ERR_UNSUPPORTED_PLATFORM;
      throw err;
    }
    // lib/native.ts and dist/native.js both sit one level below the package root.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const load = require('node-gyp-build') as (dir: string) => Record<string, NativeFunction>;
    binding = load(path.resolve(__dirname, '..'));
  }
  return binding as unknown as T;
}
