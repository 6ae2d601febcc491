#!/bin/sh
# test_parallel.sh DOCBIN TMPDIR - runs the GNU parallel recipe of docs/batch.md
# for real: 4 shards as 4 parallel jobs (on one machine; -S host1,host2 spreads
# the same line over machines), then checks that the union of the shards
# equals a one-machine run byte for byte, and that a re-run with --resume does
# nothing. Exit 77 (skipped) when GNU parallel is not installed.
set -u
DOCBIN=$1 T=$2
here=$(cd "$(dirname "$0")" && pwd)
command -v parallel >/dev/null 2>&1 || { echo "skip: GNU parallel not installed"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$T"; mkdir -p "$T/in/a/b"
gen=$(dirname "$DOCBIN")/../../bench/gen_page
[ -x "$gen" ] || { echo "skip: no page generator at $gen (configure with DOCBIN_BENCH=ON)"; exit 77; }
for i in $(seq 1 12); do
  d=$T/in; [ $i -gt 4 ] && d=$T/in/a; [ $i -gt 8 ] && d=$T/in/a/b
  "$gen" --seed $i $((150 + 7 * i)) 120 "$d/page$i.png" >/dev/null
done
cd "$T" || exit 1
"$DOCBIN" batch -r -q -m otsu in -o out_one || fail "the one-machine run failed"
# the recipe script as documented (":" = this machine as the only host)
PATH=$(cd "$(dirname "$DOCBIN")" && pwd):$PATH DOCBIN_OPTS="-q -m otsu" \
  sh "$here/parallel_batch.sh" in out_script 3 : || fail "parallel_batch.sh failed"
[ "$(cat out_script/reports/*.jsonl | wc -l)" = 12 ] || fail "reports: not one line per page"
rm -rf out_script/reports
diff -r out_one out_script || fail "parallel_batch.sh output differs from the one-machine run"
# the one-line form: 4 shards as 4 jobs at once
parallel --will-cite -j 4 --halt never "$DOCBIN" batch -r -q -j 1 -m otsu --shard {}/4 \
  --report report-{}.jsonl in -o out_parallel ::: 1 2 3 4 || fail "a shard failed"
diff -r out_one out_parallel || fail "GNU parallel shards differ from the one-machine run"
[ "$(cat report-*.jsonl | wc -l)" = 12 ] || fail "reports do not hold one line per page"
# resume: nothing left to do
parallel --will-cite -j 4 "$DOCBIN" batch -r --resume -m otsu --shard {}/4 in -o out_parallel \
  ::: 1 2 3 4 2>resume.log || fail "resume run failed"
grep -q ' 0 ok, 0 failed' resume.log || fail "resume redid pages: $(cat resume.log)"
echo "PASS: 4 GNU parallel shards == one machine, 12 outputs byte for byte"
