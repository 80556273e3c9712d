#!/usr/bin/env bash
# `npm run test:asan [-- jest args]`: builds both addons with AddressSanitizer and
# UndefinedBehaviorSanitizer, runs test/native and a chosen part of test/integration
# against that build (node itself is not instrumented: libasan is preloaded so that its
# allocator and interceptors are in place before the addons load), expects 0 reports, and
# puts the normal build back whatever happens.
#
# - ASAN_OPTIONS detect_leaks=0: LeakSanitizer would report what node and V8 keep until exit
#   (isolate, snapshot, ICU); leaks are valgrind's job here (npm run test:valgrind).
# - handle_segv=0 and friends: libasan is preloaded into every child too (sh, sleep...),
#   and tests make children die of SIGSEGV/SIGABRT on purpose (`kill -SEGV $$`); ASan's own
#   handlers would turn that into a report and exit code 1. Memory errors are caught by the
#   instrumentation itself, not by these handlers; a real segfault still fails its test.
#   disable_coredump=0: the wait tests check WCOREDUMP of a child that dumps core.
# - Every report goes to a file under $REPORTS (log_path), also those of child processes;
#   the run fails when any holds an ASan ERROR or a UBSan "runtime error", and prints them
#   (warnings are printed, not counted).
# - Then the short fuzz (scripts/fuzz, /proc trees aside) with the instrumented addons.
# - The integration part: the suites that drive the addons (spawn, os, exec, fork, proc,
#   daemonize, contain, guard, supervise); the CLI and docs suites only re-run the same native calls
#   through more layers, at several times the cost under ASan. ASAN_SUITES overrides.
#   Left out of it too (ASAN_SKIP overrides): spawn-scale and daemonize-pidfile, whose
#   5,000-spawn and 4-concurrent-starter tests exceed their 60 s/30 s limits at ASan's speed,
#   and proc-live, whose ps-list oracle (a node child running `ps`) did not finish with
#   libasan preloaded (2026-12-02); and test/native/glibc-symbols, which checks the symbol
#   versions of the normal build (the instrumented one needs a newer libstdc++ symbol).
set -u
cd "$(dirname "$0")/../.."
root=$PWD
REPORTS=${REPORTS:-$(mktemp -d /tmp/unixproc-asan-XXXXXX)}
libasan=$(gcc -print-file-name=libasan.so)
[ -e "$libasan" ] || { echo "test:asan: libasan not found (gcc -print-file-name=libasan.so)" >&2; exit 2; }
SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g"

backup=$(mktemp -d /tmp/unixproc-build-backup-XXXXXX)
restore() {
  rm -rf "$root/build" "$root/fork-addon/build"
  [ -d "$backup/build" ] && mv "$backup/build" "$root/build"
  [ -d "$backup/fork-build" ] && mv "$backup/fork-build" "$root/fork-addon/build"
  rmdir "$backup" 2>/dev/null
  echo "test:asan: normal build restored"
}
[ -d build ] && cp -a build "$backup/build"
[ -d fork-addon/build ] && cp -a fork-addon/build "$backup/fork-build"
trap restore EXIT

echo "test:asan: building both addons with $SANITIZE"
# The shepherd executable has no C library (native/nolibc.h), so no sanitizer runtime can
# be linked into it: only the addon target is built instrumented, and the shepherd is built
# as it ships (the contain suites run it either way).
npx node-gyp configure >/dev/null &&
  CFLAGS="$SANITIZE" CXXFLAGS="$SANITIZE" LDFLAGS="-fsanitize=address,undefined" make -C build -s unixproc >/dev/null &&
  make -C build -s unixproc-shepherd >/dev/null &&
  (cd fork-addon && CFLAGS="$SANITIZE" CXXFLAGS="$SANITIZE" LDFLAGS="-fsanitize=address,undefined" npx node-gyp rebuild >/dev/null) ||
  { echo "test:asan: build failed" >&2; exit 2; }
for addon in build/Release/unixproc.node fork-addon/build/Release/unixproc_fork.node; do
  nm -D "$addon" | grep -q __asan_report || { echo "test:asan: $addon is not instrumented" >&2; exit 2; }
done
export LD_PRELOAD="$libasan"
export ASAN_OPTIONS="detect_leaks=0:allow_user_segv_handler=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0:disable_coredump=0:log_path=$REPORTS/asan"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$REPORTS/ubsan"
node -e "require('node-gyp-build')('.'); if (!require('fs').readFileSync('/proc/self/maps', 'utf8').includes('libasan')) process.exit(1)" ||
  { echo "test:asan: libasan is not loaded in node" >&2; exit 2; }

suites=${ASAN_SUITES:-"test/native test/integration/(spawn|os|exec|fork|proc|daemonize|contain|guard-core|supervise-(restart|stop|validate)|lineage)"}
echo "test:asan: jest $suites (reports in $REPORTS)"
# (the =form: jest's --testPathIgnorePatterns takes several values and would eat the suites)
npx jest --ci $suites "--testPathIgnorePatterns=${ASAN_SKIP:-spawn-scale|daemonize-pidfile|proc-live|glibc-symbols}" "$@"
status=$?
# The hostile calls too, against the instrumented addons (the /proc tree part is left out:
# its hangs are the procfs defects of issue 8, found without ASan).
if [ -z "${ASAN_NO_FUZZ:-}" ]; then
  echo "test:asan: npm run fuzz -- --seed 8 --runs 3 --only '^unixproc' under ASan"
  node scripts/fuzz/index.js --seed 8 --runs 3 --only '^unixproc' --quiet --hang-ms 8000 || status=1
fi
reports=$(grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error" "$REPORTS"/* 2>/dev/null | wc -l)
warnings=$(grep -L -E "ERROR: (Address|Leak)Sanitizer|runtime error" "$REPORTS"/* 2>/dev/null | wc -l)
for f in "$REPORTS"/*; do [ -s "$f" ] && { echo "== $f"; head -40 "$f"; }; done
echo "test:asan: $warnings file(s) with warnings only" 
echo "test:asan: jest exit $status, $reports sanitizer report(s)"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
