#!/bin/sh
# ab_compare.sh - runs two builds of one benchmark alternately and prints, for
# every table row both print, the minimum and the median of each number column
# (the minimum is the best time; for a rate column it is the worst).
#
#   bench/ab_compare.sh N OLD_BINARY NEW_BINARY [benchmark arguments...]
#   e.g. git worktree add /tmp/old <commit> && cmake -S /tmp/old -B /tmp/old/build
#        -G Ninja && cmake --build /tmp/old/build, then
#        bench/ab_compare.sh 4 /tmp/old/build/bench/bench_metrics
#        build/bench/bench_metrics --runs 3
#
# Why: a shared VM runs whole processes fast or slow for minutes at a time, so
# two builds timed one after the other can differ by 40 % with no change; run
# alternately in the same minutes, their minima and medians are comparable.
# A row is a line whose label is followed by two or more spaces and numbers.
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 N OLD_BINARY NEW_BINARY [benchmark arguments...]" >&2
    exit 2
fi
n=$1 old=$2 new=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
while [ "$i" -lt "$n" ]; do
    i=$((i + 1))
    "$old" "$@" > "$tmp/old.$i" 2>/dev/null
    "$new" "$@" > "$tmp/new.$i" 2>/dev/null
done
for f in "$tmp"/old.* "$tmp"/new.*; do
    tag=${f##*/}
    tag=${tag%%.*}
    # label TAB tag TAB numbers...
    sed -n 's/^\([A-Za-z][^0-9]*[^ ]\)  \+\([0-9][0-9.]*\( \+[0-9][0-9.]*\)*\) *$/\1\t\2/p' "$f" |
        awk -F '\t' -v tag="$tag" '{ print $1 "\t" tag "\t" $2 }'
done | awk -F '\t' '
    function median(list, k,   v, c, i, j, t) {
        c = split(list, v, " ")
        for (i = 2; i <= c; i++)
            for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
                t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
            }
        return k == "min" ? v[1] : (c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2)
    }
    {
        if (!($1 in seen)) { seen[$1] = 1; order[++rows] = $1 }
        c = split($3, num, " ")
        if (c > cols[$1]) cols[$1] = c
        for (k = 1; k <= c; k++) vals[$1, $2, k] = vals[$1, $2, k] " " num[k]
    }
    END {
        printf "%-40s %s\n", "row (each column: old min/median -> new min/median)", ""
        for (r = 1; r <= rows; r++) {
            label = order[r]
            if (!((label, "old", 1) in vals) || !((label, "new", 1) in vals)) continue
            line = ""
            for (k = 1; k <= cols[label]; k++)
                line = line sprintf("  %s/%s -> %s/%s", median(vals[label, "old", k], "min"),
                                    median(vals[label, "old", k], "med"),
                                    median(vals[label, "new", k], "min"),
                                    median(vals[label, "new", k], "med"))
            printf "%-40s%s\n", label, line
        }
    }'
