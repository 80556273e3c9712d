#!/usr/bin/env node
/**
 * The `unixproc` bin. Everything is in ./index.ts; this only wires it to the process.
 * @internal
 */
import { main } from './index';
import { escapeText } from './text';

// A reader that has gone away (`unixproc ps | head`) is not an error: Node ignores SIGPIPE,
// so the write fails with EPIPE and the stream emits 'error', which would otherwise crash
// with a stack trace. Stop writing quietly and keep the command's own exit status (as a
// zombie found stays a finding). Later writes to the destroyed stream fail the same way.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    process.exitCode = 1;
    if (stream === process.stdout) process.stderr.write(`unixproc: stdout: ${e.message}\n`);
  });
}

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = code;
  },
  (e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`unixproc: ${escapeText(err && err.message ? err.message : String(e))}\n`);
    process.exitCode = 1;
  },
);
