#!/usr/bin/env bash
# Benchmark: the recipe (16 filters, 30 steps, 180 px, one batch) in filtervis (ONNX Runtime,
# TensorFlow and DJL backends) and in eager PyTorch on the same model, in the same run, with the same thread
# count; prints the ratios and the achieved GFLOP/s of forward + backward against the measured peak.
#
# Each round also runs the general path (--objective channel, neuron and deepdream at the same layer; GENERAL=0
# leaves it out) and prints its seconds per step against the fused path's of the same round.
#
# Usage: bench/run.sh [NAME CUT LAYER [THREADS]]
#   default: resnet18 layer2 /layer2/layer2.1/relu_1/Relu_output_0 2
# Needs: the built distribution (mvn -q -DskipTests package) and Debian's python3-torch and
# python3-torchvision (apt-get install python3-torchvision) for the model export and the peer.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-resnet18}
cut=${2:-layer2}
layer=${3:-/layer2/layer2.1/relu_1/Relu_output_0}
threads=${4:-2}
work=${BENCH_DIR:-/tmp/filtervis-bench}
mkdir -p "$work"
py=/usr/bin/python3
if [ ! -f "$work/$name.onnx" ] || [ ! -f "$work/$name-$cut.pt" ]; then
  $py tools/export_torchvision.py "$name" "$cut" "$work" 2>/dev/null
fi
gflop=$($py bench/flops.py "$name" "$cut" 180 2>/dev/null)
peak=$(bench/peak.sh "$threads" "$work")
echo "model $name cut after $cut ($layer), 16 filters, 30 steps, 180 px, $threads threads"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
best_onnx=0
best_tf=0
best_djl=0
best_pt=0
run_fv() {
  ./filtervis visualize --backend "$1" --model "$work/$name.onnx" --layer "$layer" --filters 0-15 --batch 16 --threads "$threads" \
    --quiet --out "$work/out-$1" 2>/dev/null
  $py -c "import json; print(json.load(open('$work/out-$1/run.json'))['timings']['filters_per_second'])"
}
# The general path (any --objective): seconds per step of 16 images, beside the fused path's in the same round.
# deepdream has no filters of its own: a zero-weighted channel term gives each of the 16 images its own noise.
objectives=("channel($layer, f)" "neuron($layer, f)" "deepdream($layer) + 0 * channel($layer, f)")
declare -A general
run_general() {
  rm -rf "$work/general-$1"
  ./filtervis visualize --backend "$1" --model "$work/$name.onnx" --objective "$2" --filters 0-15 --batch 16 --threads "$threads" \
    --quiet --out "$work/general-$1" 2>/dev/null
  $py -c "import json; print(json.load(open('$work/general-$1/run.json'))['timings']['seconds_per_step'])"
}
# Rounds (ROUNDS, default 2) alternate the four, keeping each one's best: other load hits all alike.
for round in $(seq 1 "${ROUNDS:-2}"); do
  onnx=$(run_fv onnx)
  tf=$(run_fv tf)
  djl=$(run_fv djl)
  pt=$(OMP_WAIT_POLICY=PASSIVE $py bench/eager_pytorch.py "$work/$name-$cut.pt" "$threads" 16 30 180 2>/dev/null | awk '{print $3}')
  echo "round $round: filtervis onnx $onnx, filtervis tf $tf, filtervis djl $djl, eager PyTorch $pt filters/s"
  if [ "${GENERAL:-1}" = 1 ]; then
    for b in onnx tf djl; do
      fused=$($py -c "print(16 / (${!b} * 30))")
      line="round $round, $b: fused $fused s per step"
      for o in "${objectives[@]}"; do
        t=$(run_general "$b" "$o")
        ratio=$($py -c "print(round($t / $fused, 3))")
        key="$b ${o%%(*}"
        general[$key]=$($py -c "print(min(${general[$key]:-1e9}, $ratio))")
        line="$line; ${o%%(*} $t ($ratio x)"
      done
      echo "$line"
    done
  fi
  best_onnx=$($py -c "print(max($best_onnx, $onnx))")
  best_tf=$($py -c "print(max($best_tf, $tf))")
  best_djl=$($py -c "print(max($best_djl, $djl))")
  best_pt=$($py -c "print(max($best_pt, $pt))")
done
$py - <<PY
onnx, tf, djl, pt, gflop, peak = $best_onnx, $best_tf, $best_djl, $best_pt, $gflop, $peak
for label, rate in (("filtervis --backend onnx", onnx), ("filtervis --backend tf  ", tf), ("filtervis --backend djl ", djl),
                    ("eager PyTorch           ", pt)):
    achieved = gflop * rate * 30
    print(f"{label}: {rate:.3f} filters/s ({16 / (rate * 30):.3f} s per step of 16 images), {achieved:.0f} GFLOP/s = {100 * achieved / peak:.0f}% of peak")
print(f"ratio onnx / PyTorch: {onnx / pt:.2f}; tf / PyTorch: {tf / pt:.2f}; djl / PyTorch: {djl / pt:.2f}; tf / onnx: {tf / onnx:.2f}")
print(f"conv work: {gflop:.2f} GFLOP per image per step (forward + input backward); measured FP32 FMA peak {peak:.0f} GFLOP/s on $threads threads;"
      f" 2x eager PyTorch would need {2 * gflop * pt * 30:.0f} GFLOP/s = {200 * gflop * pt * 30 / peak:.0f}% of it")
PY
if [ "${GENERAL:-1}" = 1 ]; then
  for b in onnx tf djl; do
    echo "general path / fused path on $b (best round): channel ${general[$b channel]}x, neuron ${general[$b neuron]}x, deepdream ${general[$b deepdream]}x"
  done
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
