#!/bin/sh
# eval_protocol.sh - the honest evaluation protocol of issue 7: tune on
# H-DIBCO 2016, report on DIBCO 2017 (never used for training or tuning).
# Scores a model (-m gan or -m db) next to Otsu, Sauvola, Howe and the best
# classic method, all through `docbin eval -m M DIR`, and prints one markdown
# table: FM, pFM, PSNR, DRD per set and method, then the commands.
#
# usage: scripts/eval_protocol.sh [-d DOCBIN] [-D DATA] [-j N] [-b METHOD]
#                                 [-s "SET SET"] [MODEL.dbm [gan|db]]
#   -d DOCBIN  the program (default: build/docbin, else docbin on PATH)
#   -D DATA    the DIBCO folder holding hdibco2016/ and dibco2017/
#              (default: ../shared/data/dibco beside the source tree)
#   -j N       pages scored at once (default 2)
#   -b METHOD  the best classic method; default: the candidate with the best
#              FM on H-DIBCO 2016 (the tuning set; 2017 is not looked at)
#   -s SETS    the sets (default "hdibco2016 dibco2017")
#   MODEL      a .dbm file; without it only the classic methods are scored
#   gan|db     the network method for MODEL (default gan)
# Exit: 0, 1 when a run fails, 2 usage.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
docbin=""
data="$here/../shared/data/dibco"
jobs=2
best=""
sets="hdibco2016 dibco2017"
candidates="otsu sauvola wolf nick isauvola adotsu bataineh gatos su su2013 howe"

usage() { sed -n '7,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts d:D:j:b:s:h opt; do
    case $opt in
    d) docbin=$OPTARG ;;
    D) data=$OPTARG ;;
    j) jobs=$OPTARG ;;
    b) best=$OPTARG ;;
    s) sets=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
model=${1:-}
netm=${2:-gan}
[ $# -le 2 ] || usage
case $netm in gan | db) ;; *) usage ;; esac
if [ -z "$docbin" ]; then
    if [ -x "$here/build/docbin" ]; then docbin="$here/build/docbin"; else docbin=docbin; fi
fi
[ -z "$model" ] || [ -f "$model" ] || { echo "eval_protocol: $model: no such file" >&2; exit 2; }
for s in $sets; do
    [ -d "$data/$s" ] || { echo "eval_protocol: $data/$s: no such folder" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# score SET METHOD [EXTRA...]: prints "fm pfm psnr drd" of the mean line.
score() {
    set_=$1 m=$2
    shift 2
    out="$tmp/$set_.$(echo "$m" | tr ':/,=' '____').csv"
    if [ ! -s "$out" ]; then
        echo "$docbin eval --csv -j $jobs -m $m $* $data/$set_" >>"$tmp/commands"
        "$docbin" eval --csv -j "$jobs" -m "$m" "$@" "$data/$set_" >"$out" ||
            { echo "eval_protocol: $m on $set_ failed" >&2; exit 1; }
    fi
    awk -F, '$1 == "mean" { printf "%.2f %.2f %.2f %.2f\n", $2, $3, $4, $5 }' "$out"
}

if [ -z "$best" ]; then # choose on the tuning set only
    bestfm=-1
    for m in $candidates; do
        fm=$(score hdibco2016 "$m") && [ -n "$fm" ] || exit 1
        fm=${fm%% *}
        if awk -v a="$fm" -v b="$bestfm" 'BEGIN { exit !(a > b) }'; then
            best=$m bestfm=$fm
        fi
    done
    echo "best classic method on hdibco2016 (FM $bestfm): $best" >&2
fi

methods="otsu sauvola howe"
case " $methods " in *" $best "*) ;; *) methods="$methods $best" ;; esac

printf '| method |'
for s in $sets; do printf ' %s FM | pFM | PSNR | DRD |' "$s"; done
printf '\n|---|'
for s in $sets; do printf -- '---:|---:|---:|---:|'; done
printf '\n'
row() { # label method [extra...]
    label=$1
    shift
    line="| $label |"
    for s in $sets; do
        r=$(score "$s" "$@") && [ -n "$r" ] || exit 1
        line="$line $(echo "$r" | awk '{ printf "%s | %s | %s | %s |", $1, $2, $3, $4 }')"
    done
    echo "$line"
}
for m in $methods; do
    label=$m
    [ "$m" = "$best" ] && label="$m (best classic)"
    row "$label" "$m"
done
[ -z "$model" ] || row "$netm ($(basename "$model"))" "$netm" --model "$model"
printf '\ncommands (%s):\n' "$("$docbin" --version)"
sed 's/^/    /' "$tmp/commands"
