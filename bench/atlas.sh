#!/usr/bin/env bash
# Benchmark: the atlas of every block output of the resnet18 bench model (layer1 to layer4, 960
# filters, 180 px, the Keras recipe), with the local engine and with Spark local[2] in the same run.
# The local engine runs one backend with 2 threads; Spark runs 2 tasks at once with 1 thread each,
# so both use the machine's 2 cores. Prints total time, filters per second and Spark's overhead.
#
# Usage: bench/atlas.sh [FILTERS_PER_LAYER]   (default: all, 960 filters; e.g. 0-15 for a quick run)
# Needs: the built distribution and Debian's python3-torch and python3-torchvision (model export).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-/tmp/filtervis-bench}
mkdir -p "$work"
if [ ! -f "$work/resnet18.onnx" ]; then
  /usr/bin/python3 tools/export_torchvision.py resnet18 layer2 "$work" 2>/dev/null
fi
layers=/layer1/layer1.1/relu_1/Relu_output_0,/layer2/layer2.1/relu_1/Relu_output_0,/layer3/layer3.1/relu_1/Relu_output_0,/layer4/layer4.1/relu_1/Relu_output_0
filters=${1:-all}
echo "resnet18 atlas: layer1-layer4 block outputs, filters $filters per layer, 180 px, Keras recipe; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run() {
  local name=$1
  shift
  rm -rf "$work/atlas-$name"
  local t0
  t0=$(date +%s.%N)
  ./filtervis atlas --model "$work/resnet18.onnx" --layers "$layers" --filters "$filters" --size 180 --out "$work/atlas-$name" "$@" 2>"$work/atlas-$name.log"
  local t1
  t1=$(date +%s.%N)
  local n
  n=$(find "$work/atlas-$name/tiles" -name '*.json' | wc -l)
  python3 -c "t=$t1-$t0; print('$name: %d filters in %.1f s, %.3f filters/s (whole command: start-up, rendering, site)' % ($n, t, $n/t))"
  python3 -c "print($t1 - $t0)" > "$work/atlas-$name.seconds"
}
run local --threads 2
run spark --engine spark --master "local[2]" --threads 1
python3 -c "l=float(open('$work/atlas-local.seconds').read()); s=float(open('$work/atlas-spark.seconds').read()); print('Spark local[2] / local engine time: %.3f (overhead %+.1f%%)' % (s/l, 100*(s/l-1)))"
