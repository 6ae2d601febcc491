#!/bin/sh
# readme_figure.sh - the README's before/after picture: a crop of DIBCO 2017
# page 1 (heavy bleed-through; never used for training or tuning): the scan,
# the ground truth, global Otsu, Howe, `-m gan` and `-m db` in a 2x3 grid
# (ImageMagick).
#
# usage: scripts/readme_figure.sh [-d DOCBIN] [-D DATA] [OUT.png]
#   -d DOCBIN  the program (default build/docbin)
#   -D DATA    the DIBCO folder holding dibco2017/ (default ../shared/data/dibco)
#   OUT        default docs/img/before_after.png
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
docbin="$here/build/docbin"
data="$here/../shared/data/dibco"
while getopts d:D:h opt; do
    case $opt in
    d) docbin=$OPTARG ;;
    D) data=$OPTARG ;;
    *) sed -n '6,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
out=${1:-$here/docs/img/before_after.png}
page="$data/dibco2017/1.png"
[ -f "$page" ] || { echo "readme_figure: $page not found" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$docbin" -q -m otsu "$page" "$tmp/otsu.png"
"$docbin" -q -m howe "$page" "$tmp/howe.png"
"$docbin" -q -m gan "$page" "$tmp/gan.png"
"$docbin" -q -m db "$page" "$tmp/db.png"
crop() { convert "$1" -crop 900x500+300+180 +repage -resize 50% "$tmp/$2.png"; }
crop "$page" a; crop "$data/dibco2017/1_gt.png" b; crop "$tmp/otsu.png" c
crop "$tmp/howe.png" d; crop "$tmp/gan.png" e; crop "$tmp/db.png" f
montage -font DejaVu-Sans -pointsize 14 \
    -label 'scan (DIBCO 2017, page 1)' "$tmp/a.png" -label 'ground truth' "$tmp/b.png" \
    -label 'otsu' "$tmp/c.png" -label 'howe' "$tmp/d.png" \
    -label '-m gan (1-bit U-Net)' "$tmp/e.png" -label '-m db (1-bit U-Net, DB head)' "$tmp/f.png" \
    -tile 2x3 -geometry +4+4 "$out"
echo "wrote $out"
