#!/usr/bin/env bash
# `npm run test:valgrind [-- jest args]`: the native suite (test/native) under valgrind
# memcheck, in one process (jest --runInBand), node with --jitless (valgrind cannot follow
# code V8 writes at run time without --smc-check=all, which is far slower).
#
# What counts: an error record (invalid read/write, use of uninitialised values, invalid
# free, fd/syscall param errors) or a definite leak whose stack passes through one of our
# addons (unixproc.node, unixproc_fork.node, native/*.cc, fork-addon/src/*.cc). Records
# wholly inside node, V8, ICU or libc are node's own (V8's conservative stack scanning and
# its memory reserved for the process lifetime are well known to memcheck); they are
# counted and printed as a figure, not failed on. The suppression file
# scripts/sanitizers/valgrind-node.supp holds the few known node-only records by name.
set -u
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "test:valgrind: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
LOG=${VALGRIND_LOG:-$(mktemp /tmp/unixproc-valgrind-XXXXXX.log)}
suites=${VALGRIND_SUITES:-test/native}
echo "test:valgrind: jest --runInBand $suites under memcheck (log $LOG)"
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --num-callers=40 --trace-children=no --track-fds=no \
  --suppressions=scripts/sanitizers/valgrind-node.supp --log-file="$LOG" \
  node --jitless node_modules/jest/bin/jest.js --ci --runInBand $suites "$@"
status=$?
node scripts/sanitizers/valgrind-summary.js "$LOG"
summary=$?
echo "test:valgrind: jest exit $status"
[ "$status" -eq 0 ] && [ "$summary" -eq 0 ]
