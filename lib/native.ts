/**
 * Loads the native addons (a prebuilt binary when present, else the one node-gyp built):
 * the main addon (N-API only, one prebuild for every Node version) and, on first use of
 * fork(), the fork addon (fork-addon/: Node's C++ API, built for one Node ABI).
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
let forkBinding: Record<string, NativeFunction> | undefined;

/** Error code thrown when unixproc is loaded on a platform other than Linux. @group Constants: errors and environment */
export const ERR_UNSUPPORTED_PLATFORM = 'ERR_UNIXPROC_UNSUPPORTED_PLATFORM';

/** Error code thrown by fork()/forkpty() when the fork addon cannot be loaded. @group Constants: errors and environment */
export const ERR_FORK_UNAVAILABLE = 'ERR_UNIXPROC_FORK_UNAVAILABLE';

// node-gyp-build, loading from `dir` (dir/build/Release, else dir/prebuilds).
function load(dir: string): Record<string, NativeFunction> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => Record<string, NativeFunction>;
  return nodeGypBuild(dir);
}

// lib/native.ts and dist/native.js both sit one level below the package root.
const packageRoot = path.resolve(__dirname, '..');

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
    binding = load(packageRoot);
  }
  return binding as unknown as T;
}

/**
 * The fork addon's exports, typed by the caller; loaded on first use.
 *
 * The fork addon uses Node's C++ API, so it only loads into the Node ABI it was built for
 * (`process.versions.modules`). Where it cannot be loaded (no build for this ABI and no
 * compiler at install time, or a build left from another Node), this throws an error that
 * says why and how to fix it, instead of loading something that would crash.
 * @throws Error with code `ERR_UNIXPROC_FORK_UNAVAILABLE` (the load error as `cause`).
 * @internal
 */
export function forkNative<T>(): T {
  if (forkBinding === undefined) {
    native<unknown>(); // the platform check, and the main addon the fork addon relies on
    const dir = path.join(packageRoot, 'fork-addon');
    try {
      forkBinding = load(dir);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
      const err = new Error(
        `fork() is unavailable: its native part (unixproc_fork, built against Node's C++ ABI, ` +
          `unlike the rest of unixproc) could not be loaded into Node ${process.version} ` +
          `(ABI ${process.versions.modules}): ${reason}. Build it for this Node with ` +
          '`npm rebuild unixproc` (needs python3, make and a C++ compiler), or run a Node ' +
          'version it was built for.',
        { cause },
      ) as Error & { code: string };
      err.code = ERR_FORK_UNAVAILABLE;
      throw err;
    }
  }
  return forkBinding as unknown as T;
}
