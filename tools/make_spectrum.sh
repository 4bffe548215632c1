#!/usr/bin/env sh
# Writes the magnitude spectrum the distribution ships for --recipe maco: the mean |rfft2| in Lucid's
# decorrelated colours (filtervis spectrum) of the six natural colour photographs in Debian's
# python3-skimage package (astronaut, chelsea, coffee, motorcycle_left, motorcycle_right, rocket),
# at 128 px; maco resizes it to its buffer's spectrum (as Xplique resizes its ImageNet one).
# The package is downloaded, not installed. Run from the repository, after building (mvn -q -DskipTests package).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download python3-skimage >/dev/null && dpkg -x python3-skimage_*.deb x)
data="$work/x/usr/lib/python3/dist-packages/skimage/data"
mkdir "$work/photos"
for p in astronaut.png chelsea.png coffee.png motorcycle_left.png motorcycle_right.png rocket.jpg; do
  cp "$data/$p" "$work/photos/"
done
"$here/filtervis" spectrum --images "$work/photos" --size 128 \
  --out "$here/filtervis-core/src/main/resources/org/filtervis/core/lucid/spectrum-photos-128.npy"
