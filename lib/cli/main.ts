#!/usr/bin/env node
/**
 * The `unixproc` bin. Everything is in ./index.ts; this only wires it to the process.
 * @internal
 */
import { main } from './index';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`unixproc: ${err && err.message ? err.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
