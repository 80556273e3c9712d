#!/usr/bin/env node
/**
 * The `unixproc` bin. Everything is in ./index.ts; this only wires it to the process.
 * @internal
 */
// First: starts the scan of the common `ps` invocations while the rest loads (./prefetch.ts).
import './prefetch';
// Then: no optimizing compilers for the commands that print once and exit (./one-shot.ts).
import './one-shot';
import { main } from './index';
import { stderrWriter, stdoutWriter } from './stdio';
import { escapeText } from './text';

// stdout and stderr: write(2) on a pipe or a file, Node's streams on a terminal (./stdio.ts,
// which also keeps a reader that has gone away, EPIPE, from being an error).
const io = { stdout: stdoutWriter(), stderr: stderrWriter() };

main(process.argv.slice(2), io).then(
  (code) => {
    if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = code;
  },
  (e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    io.stderr.write(`unixproc: ${escapeText(err && err.message ? err.message : String(e))}\n`);
    process.exitCode = 1;
  },
);
