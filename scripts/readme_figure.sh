#!/bin/sh
# readme_figure.sh - the README's before/after picture: a crop of DIBCO 2017
# page 1 (heavy bleed-through; never used for training or tuning): the scan,
# global Otsu, `-m gan` and the ground truth, in a 2x2 grid (ImageMagick).
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
"$docbin" -q -m gan "$page" "$tmp/gan.png"
crop() { convert "$1" -crop 900x500+300+180 +repage -resize 50% "$tmp/$2.png"; }
crop "$page" a; crop "$tmp/otsu.png" b; crop "$tmp/gan.png" c; crop "$data/dibco2017/1_gt.png" d
montage -font DejaVu-Sans -pointsize 14 \
    -label 'scan (DIBCO 2017, page 1)' "$tmp/a.png" -label 'otsu' "$tmp/b.png" \
    -label 'docbin -m gan (1-bit U-Net)' "$tmp/c.png" -label 'ground truth' "$tmp/d.png" \
    -tile 2x2 -geometry +4+4 "$out"
echo "wrote $out"
