#!/usr/bin/env bash
# Benchmark: Lucid's recipe (`visualize --recipe lucid`) on the demo InceptionV3, `mixed4`, filters 0-3 in one
# batch, against eager PyTorch doing Lucent's render_vis defaults on the same ONNX model (bench/lucid_pytorch.py),
# in the same run with the same threads; prints seconds per image-step, the ratio, and the achieved GFLOP/s of
# the convolutions (forward and input backward) against the peak bench/peak.c measures.
#
# Usage: bench/lucid.sh [BACKEND [THREADS [STEPS]]]   (default: onnx 2 512; ROUNDS=2 alternates the two)
# Needs: the built distribution, the demo models (tools/demo-models.sh), Debian's python3-torch and python3-onnx.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-onnx}
threads=${2:-2}
steps=${3:-512}
work=${BENCH_DIR:-/tmp/filtervis-bench}
mkdir -p "$work"
py=/usr/bin/python3
model=models/inception_v3.onnx
gflop=$($py bench/lucid_pytorch.py flops "$model" mixed4 299)
peak=$(bench/peak.sh "$threads" "$work")
echo "InceptionV3 mixed4, filters 0-3 (one batch of 4), $steps steps, Lucid's recipe, $threads threads, $backend"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
best_fv=1e9
best_pt=1e9
for round in $(seq 1 "${ROUNDS:-2}"); do
  ./filtervis visualize --backend "$backend" --model "$model" --layer mixed4 --recipe lucid --filters 0-3 --batch 4 --steps "$steps" \
    --threads "$threads" --quiet --out "$work/lucid-$backend" 2>/dev/null
  fv=$($py -c "import json; r = json.load(open('$work/lucid-$backend/run.json')); print(r['timings']['seconds_per_step'] / 4)")
  pipeline=$($py -c "import json; t = json.load(open('$work/lucid-$backend/run.json'))['timings']; print(round(t['image_pipeline_share'], 3))")
  pt=$(OMP_WAIT_POLICY=PASSIVE $py bench/lucid_pytorch.py "$model" mixed4 0,1,2,3 "$steps" "$threads" 299 | awk '/seconds per step/ {print $4 / 4}')
  echo "round $round: filtervis $fv s, eager PyTorch $pt s per image-step; image pipeline $pipeline of filtervis's step"
  best_fv=$($py -c "print(min($best_fv, $fv))")
  best_pt=$($py -c "print(min($best_pt, $pt))")
done
$py - <<PY
fv, pt, gflop, peak = $best_fv, $best_pt, $gflop, $peak
for label, t in (("filtervis --recipe lucid", fv), ("eager PyTorch (Lucent)  ", pt)):
    print(f"{label}: {t:.3f} s per image-step, {gflop / t:.0f} GFLOP/s = {100 * gflop / t / peak:.0f}% of peak")
print(f"ratio filtervis / PyTorch: {pt / fv:.2f}x; conv work {gflop:.2f} GFLOP per image-step; measured FP32 peak {peak:.0f} GFLOP/s on $threads threads")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
