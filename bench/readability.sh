#!/usr/bin/env bash
# Readability of the three recipes on the demo grid (InceptionV3 mixed4, filters 0-15, or the
# generated demo network without the pretrained models): the fraction of filters that fire, the
# objective reached on the clean image, the fraction of image power above half the Nyquist
# frequency, and the time per image, for --recipe keras, lucid and maco, from the same build in
# the same run; then MaCo's time per image-step for 4, 8 and 32 crops. Writes the three grids
# (and MaCo's images shown with their transparency) to docs/ when DOCS=1.
#
# Usage: bench/readability.sh [BACKEND]   (default onnx)
#   STEPS=N shortens the Lucid and MaCo runs; CROPS=N sets MaCo's crops (default 4: 32, Xplique's,
#   takes about 8 times longer on 2 cores); THREADS=N (default 2).
# Needs: the built distribution, tools/demo-models.sh run, Debian's python3-numpy and python3-pil.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-onnx}
threads=${THREADS:-2}
crops=${CROPS:-4}
work=${BENCH_DIR:-/tmp/filtervis-readability}
rm -rf "$work/keras" "$work/lucid" "$work/maco" "$work/maco-crops-"*
mkdir -p "$work"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
common=(--backend "$backend" --threads "$threads" --filters 0-15 --quiet)
./filtervis visualize "${common[@]}" --out "$work/keras"
./filtervis visualize "${common[@]}" --recipe lucid ${STEPS:+--steps "$STEPS"} --out "$work/lucid"
./filtervis visualize "${common[@]}" --recipe maco --crops "$crops" ${STEPS:+--steps "$STEPS"} --out "$work/maco"
/usr/bin/python3 bench/readability.py "$work/keras" "$work/lucid" "$work/maco"
# MaCo's cost per crop count: one filter, 4 steps each (the time per step does not depend on the step).
for n in 4 8 32; do
  ./filtervis visualize --backend "$backend" --threads "$threads" --recipe maco --crops "$n" --steps 4 --filters 0 --quiet \
    --out "$work/maco-crops-$n"
  /usr/bin/python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['timings']; s=t['seconds_per_step'];
print(f'maco --crops {sys.argv[2]}: {s:.2f} s per step, {s*256/60:.1f} min per image at 256 steps, Java share {t[\"image_pipeline_share\"]:.3f}')" \
    "$work/maco-crops-$n/run.json" "$n"
done
if [ "${DOCS:-0}" = 1 ]; then
  cp "$work/keras/grid.png" docs/mixed4_keras.png
  cp "$work/lucid/grid.png" docs/mixed4_lucid.png
  # MaCo's 512 px images make a 2 k grid: 800 px wide for the docs.
  /usr/bin/python3 -c "import sys; from PIL import Image; g = Image.open(sys.argv[1]); g.resize((800, 800 * g.height // g.width), Image.LANCZOS).save(sys.argv[2], optimize=True)" \
    "$work/maco/grid.png" docs/mixed4_maco.png
  /usr/bin/python3 bench/readability.py --transparency-grid "$work/maco" docs/mixed4_maco_transparency.png
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
