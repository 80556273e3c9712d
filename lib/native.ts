/**
 * Loads the native addons (a prebuilt binary when present, else the one node-gyp built):
 * the main addon (N-API only, one prebuild for every Node version) and, on first use of
 * fork(), the fork addon (fork-addon/: Node's C++ API, built for one Node ABI).
 *
 * Linux is the platform: anywhere else, loading fails with an error that names the
 * platform, before any native code is touched.
 *
 * The prebuilt binaries are tagged with the C library they were built for
 * (`unixproc.glibc.node`, scripts/prebuild.js). On glibc node-gyp-build picks them; on musl
 * (Alpine) the choice is made here, because node-gyp-build tells musl only by
 * /etc/alpine-release and would otherwise hand a glibc binary to any other musl system.
 * A glibc binary is never loaded on musl: without a musl build the load fails with
 * `ERR_UNIXPROC_ADDON_UNAVAILABLE`, naming what to install.
 *
 * Start-up cost (issue 14, item 4: `unixproc ps` pays it at every run): a build made on
 * this machine (build/Release) is what node-gyp-build and findBinary both take first,
 * whatever the C library, so when there is one it is required directly, with no libc
 * detection; on glibc a prebuild is chosen by findBinary too, which picks what
 * node-gyp-build would among the binaries scripts/prebuild.js makes (one per libc, tagged).
 * Neither loads node-gyp-build nor reads package.json. node-gyp-build still chooses when
 * findBinary finds nothing (its prebuilds next to the node executable, its error message)
 * and whenever an environment variable changes its choice (PREBUILDS_ONLY, <NAME>_PREBUILD,
 * LIBC...). The C library is told from the shared objects mapped into this process
 * (/proc/self/maps, a fraction of a millisecond), not from `process.report`, which builds a
 * whole diagnostic report (several milliseconds) and stays the fallback.
 * @internal
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A native function: takes validated plain values, returns plain values or a negative errno. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NativeFunction = (...args: any[]) => any;

let binding: Record<string, NativeFunction> | undefined;
let forkBinding: Record<string, NativeFunction> | undefined;

/** Error code thrown when unixproc is loaded on a platform other than Linux. @group Constants: errors and environment */
export const ERR_UNSUPPORTED_PLATFORM = 'ERR_UNIXPROC_UNSUPPORTED_PLATFORM';

/** Error code thrown by fork()/forkpty() when the fork addon cannot be loaded. @group Constants: errors and environment */
export const ERR_FORK_UNAVAILABLE = 'ERR_UNIXPROC_FORK_UNAVAILABLE';

/** Error code thrown when no native binary for this machine (arch, C library) is found. */
export const ERR_ADDON_UNAVAILABLE = 'ERR_UNIXPROC_ADDON_UNAVAILABLE';

/** A C library a binary is built for. @internal */
export type Libc = 'glibc' | 'musl';

let libc: Libc | undefined;

/**
 * The C library this Node runs on, glibc or musl (the two Node is built for on Linux).
 * Told from /proc/self/maps: musl's dynamic loader (`ld-musl-<arch>.so.1`, which is also
 * its libc) or glibc's `libc.so.6` mapped into this process. Only when neither shows (a
 * static Node, /proc not mounted) is Node's report built: glibc when it names a glibc
 * version (`header.glibcVersionRuntime`, filled in only on glibc), else musl.
 * @internal
 */
export function runningLibc(): Libc {
  if (libc === undefined) libc = libcFromMaps(readSelfMaps()) ?? libcFromReport();
  return libc;
}

function readSelfMaps(): string {
  try {
    return readFileSync('/proc/self/maps', 'latin1');
  } catch {
    return '';
  }
}

/**
 * The C library mapped into a process, from the text of its /proc/<pid>/maps (the path is
 * the last field of a line), or undefined when neither musl nor glibc shows. musl is
 * looked for first: a compatibility layer (gcompat) may map a `libc.so.6` next to it.
 * @internal
 */
export function libcFromMaps(maps: string): Libc | undefined {
  if (/\/ld-musl-[^/\n]*\.so\.1$/m.test(maps)) return 'musl';
  // maps names the file, not the soname: libc.so.6 since glibc 2.34, libc-2.<minor>.so before
  // (Debian 10/11, Ubuntu 20.04, RHEL 8: the glibc range the prebuilds support).
  if (/\/libc(?:\.so\.6|-2\.\d+\.so)$/m.test(maps)) return 'glibc';
  return undefined;
}

/** glibc when Node's report names a glibc version (Node fills it in only on glibc). */
function libcFromReport(): Libc {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/**
 * True when an environment variable changes node-gyp-build's choice: PREBUILDS_ONLY (skip
 * build/), `<NAME>_PREBUILD` (another directory), LIBC, ARM_VERSION, npm_config_arch or
 * npm_config_platform (another target), or an Electron runtime. Then node-gyp-build
 * chooses, as it always did.
 */
function nodeGypBuildOverride(): boolean {
  const env = process.env;
  if (env.PREBUILDS_ONLY || env.LIBC || env.ARM_VERSION || env.npm_config_arch || env.npm_config_platform) return true;
  if (env.ELECTRON_RUN_AS_NODE || process.versions.electron) return true;
  return Object.keys(env).some((k) => k.endsWith('_PREBUILD') && env[k]);
}

/** The first binary in dir/build/Release (a build made on this machine), or undefined. */
function localBuild(dir: string): string | undefined {
  const release = join(dir, 'build', 'Release');
  let names: string[];
  try {
    names = readdirSync(release);
  } catch {
    return undefined;
  }
  const built = names.filter((n) => n.endsWith('.node')).sort()[0];
  return built === undefined ? undefined : join(release, built);
}

/**
 * The binary to load from `dir` for a C library and architecture, or undefined: a build
 * made on this machine (dir/build/Release), else a prebuild in dir/prebuilds/linux-<arch>/
 * tagged with that libc (and, if it carries an `abi` tag, this Node's ABI). An untagged
 * prebuild is taken for glibc only (the C library prebuildify assumes).
 * @internal
 */
export function findBinary(dir: string, forLibc: Libc, arch: string = process.arch): string | undefined {
  const names = (d: string): string[] => {
    try {
      return readdirSync(d).filter((n) => n.endsWith('.node')).sort();
    } catch {
      return [];
    }
  };
  const built = localBuild(dir);
  if (built !== undefined) return built;
  const prebuilds = join(dir, 'prebuilds', `linux-${arch}`);
  for (const name of names(prebuilds)) {
    const tags = name.slice(0, -'.node'.length).split('.').slice(1);
    const abi = tags.find((t) => /^abi\d+$/.test(t));
    if (abi !== undefined && abi !== `abi${process.versions.modules}`) continue;
    const tagged = tags.find((t) => t === 'glibc' || t === 'musl');
    if ((tagged ?? 'glibc') === forLibc) return join(prebuilds, name);
  }
  return undefined;
}

function unavailable(dir: string, forLibc: Libc, cause?: unknown): Error & { code: string } {
  const what = `linux-${process.arch} with ${forLibc}`;
  const reason = cause instanceof Error ? `: ${cause.message.split('\n')[0]}` : '';
  const err = new Error(
    `unixproc has no native binary for ${what} in ${dir}${reason}. The package ships ` +
      'prebuilt binaries for linux-x64 and linux-arm64 with glibc >= 2.28; elsewhere (musl/' +
      'Alpine, other architectures) it is compiled when installed, which needs python3, ' +
      'make and a C++ compiler (Alpine: `apk add python3 make g++`, then ' +
      '`npm rebuild unixproc`). A glibc binary is never loaded on musl.',
    cause === undefined ? undefined : { cause },
  ) as Error & { code: string };
  err.code = ERR_ADDON_UNAVAILABLE;
  return err;
}

/**
 * Loads the binary for `dir` (the package root, or fork-addon/) on a C library: findBinary
 * on musl; on glibc findBinary too unless an environment variable changes node-gyp-build's
 * choice, and node-gyp-build when findBinary finds nothing (see the file comment).
 * @throws Error with code `ERR_UNIXPROC_ADDON_UNAVAILABLE`.
 * @internal
 */
export function loadFrom(dir: string, forLibc: Libc): Record<string, NativeFunction> {
  if (forLibc === 'musl') {
    const file = findBinary(dir, 'musl');
    if (file === undefined) throw unavailable(dir, 'musl');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(file) as Record<string, NativeFunction>;
  }
  const file = nodeGypBuildOverride() ? undefined : findBinary(dir, 'glibc');
  if (file !== undefined) return requireBinary(file, dir, forLibc);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => Record<string, NativeFunction>;
  try {
    return nodeGypBuild(dir);
  } catch (cause) {
    throw unavailable(dir, forLibc, cause);
  }
}

/**
 * Loads the binary for `dir`: a build made on this machine directly (see the file comment),
 * else {@link loadFrom} on the C library this Node runs on.
 */
function load(dir: string): Record<string, NativeFunction> {
  const local = nodeGypBuildOverride() ? undefined : localBuild(dir);
  if (local === undefined) return loadFrom(dir, runningLibc());
  return requireBinary(local, dir, undefined);
}

/** Requires a .node file; a load failure (dlopen) is ERR_UNIXPROC_ADDON_UNAVAILABLE with it as cause. */
function requireBinary(file: string, dir: string, forLibc: Libc | undefined): Record<string, NativeFunction> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(file) as Record<string, NativeFunction>;
  } catch (cause) {
    throw unavailable(dir, forLibc ?? runningLibc(), cause);
  }
}

// lib/native.ts and dist/native.js both sit one level below the package root.
const packageRoot = resolve(__dirname, '..');

/**
 * The addon's exports, typed by the caller: each module declares the slice it uses.
 * @throws Error with code `ERR_UNIXPROC_UNSUPPORTED_PLATFORM` when not on Linux.
 * @throws Error with code `ERR_UNIXPROC_ADDON_UNAVAILABLE` when no binary for this machine
 *   (architecture, C library) is found or it does not load (the load error as `cause`).
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
    const dir = join(packageRoot, 'fork-addon');
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
