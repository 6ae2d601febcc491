#!/bin/sh
# time_methods.sh - seconds per 8.7 MP page (A4 at 300 dpi, 2480 x 3508) for
# binarization methods on 1 and 2 threads, through the docbin program.
# Each figure is the best of RUNS runs of `docbin -j T -m M page.png out.pbm`;
# the "io" row (-m threshold, a fixed global threshold) is the decode + encode
# cost inside every other row, and the "method" columns subtract it.
#
# usage: scripts/time_methods.sh [-d DOCBIN] [-g GEN_PAGE] [-r RUNS] [-c]
#                                [-m "METHODS"] [MODEL.dbm [gan|db]]
#   -d DOCBIN    the program (default build/docbin)
#   -g GEN_PAGE  the page generator (default build/bench/gen_page)
#   -r RUNS      runs per figure (default 3)
#   -c           a colour page (default gray)
#   -m METHODS   classic methods (default "otsu sauvola howe")
#   MODEL        adds the network method (default gan) with that model
set -eu
args="$*"

here=$(cd "$(dirname "$0")/.." && pwd)
docbin="$here/build/docbin"
gen="$here/build/bench/gen_page"
runs=3
color=""
methods="otsu sauvola howe"
usage() { sed -n '8,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts d:g:r:cm:h opt; do
    case $opt in
    d) docbin=$OPTARG ;;
    g) gen=$OPTARG ;;
    r) runs=$OPTARG ;;
    c) color=--color ;;
    m) methods=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
model=${1:-}
netm=${2:-gan}
[ $# -le 2 ] || usage
[ -x "$docbin" ] || { echo "time_methods: $docbin: not built" >&2; exit 2; }
[ -x "$gen" ] || { echo "time_methods: $gen: not built (DOCBIN_BENCH=ON)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
"$gen" $color --seed 7 2480 3508 "$tmp/page.png"

now() { date +%s.%N; }
# best SECONDS of $runs runs of: docbin -j T ARGS...
best() {
    t=$1
    shift
    b=""
    i=0
    while [ $i -lt "$runs" ]; do
        t0=$(now)
        "$docbin" -y -q -j "$t" "$@" "$tmp/page.png" "$tmp/out.pbm" ||
            { echo "time_methods: docbin $* failed" >&2; exit 1; }
        t1=$(now)
        b=$(awk -v a="$t0" -v z="$t1" -v b="$b" 'BEGIN { d = z - a; if (b == "" || d < b + 0) b = d; printf "%.3f", b }')
        i=$((i + 1))
    done
    echo "$b"
}

"$docbin" -y -q -m threshold "$tmp/page.png" "$tmp/out.pbm" # warm the caches
io1=$(best 1 -m threshold)
io2=$(best 2 -m threshold)
echo "page: 2480 x 3508 ${color:-gray} (8.7 MP), best of $runs; $("$docbin" --version)"
echo
echo "| method | 1 thread s | 2 threads s | method 1T s | method 2T s | 1T/2T |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| io (threshold) | $io1 | $io2 | 0 | 0 | |"
line() { # label args...
    label=$1
    shift
    a=$(best 1 "$@") && b=$(best 2 "$@") || exit 1
    awk -v l="$label" -v a="$a" -v b="$b" -v i1="$io1" -v i2="$io2" 'BEGIN {
        m1 = a - i1; m2 = b - i2
        printf "| %s | %.3f | %.3f | %.3f | %.3f | %.2f |\n", l, a, b, m1, m2, (m2 > 0 ? m1 / m2 : 0) }'
}
for m in $methods; do line "$m" -m "$m"; done
[ -z "$model" ] || line "$netm ($(basename "$model"))" -m "$netm" --model "$model"
echo
echo "command: $0 $args"
