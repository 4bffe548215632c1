#!/usr/bin/env bash
# Readability of the two recipes on the demo grid (InceptionV3 mixed4, filters 0-15, or the
# generated demo network without the pretrained models): the fraction of image power above half
# the Nyquist frequency and the objective reached, for --recipe keras and --recipe lucid, from
# the same build in the same run; also Lucid's Java share of the ascent (image pipeline).
# Writes the two grids to docs/ when DOCS=1.
#
# Usage: bench/readability.sh [BACKEND]   (default onnx; STEPS=N shortens the Lucid run)
# Needs: the built distribution, tools/demo-models.sh run, Debian's python3-numpy and python3-pil.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-onnx}
work=${BENCH_DIR:-/tmp/filtervis-readability}
rm -rf "$work/keras" "$work/lucid"
mkdir -p "$work"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
./filtervis visualize --backend "$backend" --filters 0-15 --quiet --out "$work/keras"
./filtervis visualize --backend "$backend" --recipe lucid --filters 0-15 ${STEPS:+--steps "$STEPS"} --quiet --out "$work/lucid"
/usr/bin/python3 bench/readability.py "$work/keras" "$work/lucid"
if [ "${DOCS:-0}" = 1 ]; then
  cp "$work/keras/grid.png" docs/mixed4_keras.png
  cp "$work/lucid/grid.png" docs/mixed4_lucid.png
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
