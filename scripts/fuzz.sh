#!/bin/sh
# fuzz.sh - builds the libFuzzer fuzzers with clang and runs each for a bounded
# time: scripts/fuzz.sh [SECONDS_PER_FUZZER] [FUZZER...] (default 60 s, every
# tests/fuzz/fuzz_*.c). The seed corpus in tests/fuzz/corpus/<entry>/ is read,
# never written: new inputs go to $WORK/corpus-<entry>. A crash reproducer is
# left in $WORK/crashes/ and the script exits 1; copy it into the corpus with
# the fix so the `fuzz` ctest replays it from then on.
# Environment: BUILD (default build-fuzz), WORK (default $BUILD/fuzz-work),
# JOBS (ninja -j, default 2), CC (default clang).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
BUILD=${BUILD:-$here/build-fuzz}
WORK=${WORK:-$BUILD/fuzz-work}
JOBS=${JOBS:-2}
CC=${CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz.sh: $CC not found (apt-get install clang)"; exit 77; }
if [ $# -gt 0 ]; then fuzzers="$*"; else
  fuzzers=$(cd "$here/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//'); fi
CC=$CC cmake -S "$here" -B "$BUILD" -G Ninja -DDOCBIN_FUZZ=ON -DDOCBIN_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD" -j "$JOBS" $fuzzers
mkdir -p "$WORK/crashes"
status=0
for f in $fuzzers; do
  entry=${f#fuzz_}
  mkdir -p "$WORK/corpus-$entry"
  seeds="$here/tests/fuzz/corpus/$entry"
  [ -d "$seeds" ] || seeds=
  echo "== $f for $secs s"
  if ! "$BUILD/tests/fuzz/$f" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
       -print_final_stats=1 -artifact_prefix="$WORK/crashes/$f-" \
       "$WORK/corpus-$entry" $seeds 2>"$WORK/$f.log"; then
    status=1
    echo "fuzz.sh: $f found a problem, see $WORK/$f.log and $WORK/crashes/"
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$WORK/$f.log" || true
done
exit $status
