#!/bin/sh
# parallel_batch.sh - docbin batch spread over machines with GNU parallel:
# shard K of N on each, no coordination (the shard of a page is a hash of its
# path below IN, so every machine agrees). IN and OUT must be the same paths on
# every host (a shared file system).
#   parallel_batch.sh IN OUT N [HOSTS]     HOSTS: e.g. "server1,server2" or ":" (local)
# Extra docbin options can be given in DOCBIN_OPTS (default "-m sauvola").
set -eu
[ $# -ge 3 ] || { echo "usage: parallel_batch.sh IN OUT N [HOSTS]" >&2; exit 2; }
in=$1 out=$2 n=$3 hosts=${4:-:}
mkdir -p "$out/reports"
# --halt never: a shard with failed pages (exit 1) does not stop the others;
# parallel's own exit status then counts the shards that had failures.
seq 1 "$n" | parallel --will-cite -S "$hosts" -j 1 --halt never --tag \
  docbin batch -r --resume ${DOCBIN_OPTS:--m sauvola} --shard {}/"$n" \
  --report "$out/reports/shard-{}.jsonl" "$in" -o "$out"
