/**
 * Starting the native helper (native/shepherd.cc) with its control socket as fd 3, and the
 * one line it answers with once it runs ("R <pid>" or "E <errno>").
 * @internal
 */
import { accessSync, constants, readSync } from 'node:fs';
import * as path from 'node:path';
import { systemError } from '../errors';
import { native } from '../native';
import { Config, StdioKind } from '../spawn/native-child';

interface ContainBinding {
  socketPair(): [number, number] | number;
  closeFd(fd: number): number;
  waitpid(pid: number, options: number): [number, number] | number;
}

/** The addon, typed for this module. */
export const containBinding = (): ContainBinding => native<ContainBinding>();

// lib/contain and dist/contain both sit two levels below the package root.
const packageRoot = path.resolve(__dirname, '..', '..');

/** Error code for "the unixproc-shepherd executable is not installed". */
export const ERR_SHEPHERD_UNAVAILABLE = 'ERR_UNIXPROC_SHEPHERD_UNAVAILABLE';

/**
 * The path of the shepherd executable: the one node-gyp built (build/Release), else the
 * prebuilt one (prebuilds/linux-<arch>/).
 * @throws ERR_UNIXPROC_SHEPHERD_UNAVAILABLE when neither is there and executable.
 */
export function shepherdPath(): string {
  // Where node-gyp-build looks for the addon, in its order: a build from source first, then
  // the prebuilt one (scripts/prebuild.js ships the shepherd next to the addon).
  const candidates = [
    path.join(packageRoot, 'build', 'Release', 'unixproc-shepherd'),
    path.join(packageRoot, 'prebuilds', `linux-${process.arch}`, 'unixproc-shepherd'),
  ];
  let code = 'ENOENT';
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') code = (e as NodeJS.ErrnoException).code ?? code;
    }
  }
  const err = new Error(
    `the subreaper shepherd is not installed (${code}: ${candidates.join(', ')}): ` +
      'rebuild unixproc from source (npm rebuild unixproc) or use contain: \'cgroup\'',
  ) as Error & { code: string };
  err.code = ERR_SHEPHERD_UNAVAILABLE;
  throw err;
}

/** A connected pair: [ours, the helper's]. */
export function controlPair(): [number, number] {
  const r = containBinding().socketPair();
  if (typeof r === 'number') throw systemError(r, 'socketpair');
  return r;
}

/** A spawnChild config with everything at its default (stdio inherited). */
export function baseConfig(): Int32Array {
  const c = new Int32Array(Config.length);
  c[Config.stdin] = StdioKind.inherit;
  c[Config.stdout] = StdioKind.inherit;
  c[Config.stderr] = StdioKind.inherit;
  c[Config.pgid] = -1;
  c[Config.uid] = -1;
  c[Config.gid] = -1;
  c[Config.cgroupProcs] = -1;
  c[Config.keepFd] = -1;
  c[Config.passFd] = -1;
  c[Config.passFdTarget] = -1;
  return c;
}

/**
 * Reads the helper's first line from `fd` (blocking: the helper writes it right after its
 * fork+exec, as spawnChild itself waits for the exec), in one read where it can (the helper
 * writes the line with one write). Returns the line (without its newline; '' when the helper
 * closed the socket) and whatever came after it in the same read.
 */
export function readReadyLine(fd: number): { line: string; rest: string } {
  const buf = Buffer.alloc(256);
  let got = '';
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN' || (e as NodeJS.ErrnoException).code === 'EINTR') continue;
      throw e;
    }
    if (n === 0) return { line: got, rest: '' };
    got += buf.toString('latin1', 0, n);
    const nl = got.indexOf('\n');
    if (nl >= 0) return { line: got.slice(0, nl), rest: got.slice(nl + 1) };
    if (got.length > 60) return { line: got, rest: '' }; // not the protocol: the caller refuses it
  }
}

/**
 * Everything the helper has written to `fd` that is not read yet, once the helper has exited
 * (the socket then ends with EOF, so the read cannot block: the helper's end was the only
 * other one, and no other process holds it: it is close-on-exec in the helper's program).
 * '' on any error.
 */
export function drainControl(fd: number): string {
  const buf = Buffer.alloc(4096);
  let out = '';
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EINTR') continue;
      return out;
    }
    if (n === 0) return out;
    out += buf.toString('latin1', 0, n);
    if (out.length > 1 << 20) return out; // not the protocol: enough to parse
  }
}
