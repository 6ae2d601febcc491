#!/usr/bin/env bash
# Scores every method (or the ones given) on every shared (H-)DIBCO set with
# `docbin eval -m`, and prints one markdown table per measure (FM, pFM, PSNR,
# DRD): rows = methods, columns = sets. Per-set CSVs are kept in $OUT.
#
#   scripts/score_methods.sh [-b build/docbin] [-o out_dir] [METHOD_SPEC...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/build/docbin
out=${OUT:-$here/build/scores}
data=${DOCBIN_SHARED_DATA:-$here/../shared/data}
while getopts "b:o:" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    o) out=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ -d "$data/dibco" ] || { echo "score_methods: no data at $data: skipping" >&2; exit 0; }
if [ $# -gt 0 ]; then methods=("$@"); else
  mapfile -t methods < <("$bin" --list-methods | grep -v '^ ' | grep -vx -e gan -e db)
fi
sets=(dibco2009 hdibco2010 dibco2011 hdibco2012 dibco2013 hdibco2014 hdibco2016 dibco2017)
mkdir -p "$out"
for m in "${methods[@]}"; do
  for s in "${sets[@]}"; do
    f="$out/${m//[:=,]/_}__$s.csv"
    if [ ! -s "$f" ]; then
      # exit 1 = some page failed; the CSV still has the others and the mean
      "$bin" eval --csv -m "$m" "$data/dibco/$s" > "$f.tmp" || [ $? -eq 1 ]
      mv "$f.tmp" "$f"
    fi
  done
done
# mean row -> the columns fm, pfm, psnr, drd
col() { head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1; }
for measure in fm pfm psnr drd; do
  echo
  printf '| %s |' "$measure"; printf ' %s |' "${sets[@]}"; echo
  printf '|---'; for _ in "${sets[@]}"; do printf '|---'; done; echo '|'
  for m in "${methods[@]}"; do
    printf '| %s ' "$m"
    for s in "${sets[@]}"; do
      f="$out/${m//[:=,]/_}__$s.csv"
      c=$(col "$f" "$measure")
      v=$(grep -i '^mean' "$f" | cut -d, -f"$c")
      printf '| %.2f ' "$v"
    done
    echo '|'
  done
done
