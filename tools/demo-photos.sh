#!/usr/bin/env sh
# Photos for the dataset-examples demo: Debian's python3-skimage package is downloaded (apt-get
# download, not installed) and its six natural colour photographs (astronaut, chelsea, coffee,
# motorcycle_left, motorcycle_right, rocket) are copied to photos/. Then, for example:
#   ./filtervis examples --layers mixed4 --images photos --out examples/
#   ./filtervis atlas --layers mixed4 --filters 0-7 --images photos --out atlas/
set -eu
cd "$(dirname "$0")/.."
if [ -f photos/rocket.jpg ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download python3-skimage >/dev/null 2>&1 && dpkg -x python3-skimage_*.deb x)
mkdir -p photos
for p in astronaut.png chelsea.png coffee.png motorcycle_left.png motorcycle_right.png rocket.jpg; do
  cp "$work/x/usr/lib/python3/dist-packages/skimage/data/$p" photos/
done
echo "demo-photos: 6 photos in photos/"
