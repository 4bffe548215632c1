#!/usr/bin/env bash
# Benchmark: what `explain --evaluate all` costs for one photo and one method on the pretrained
# MobileNetV2 demo (tools/demo-models.sh) and skimage's chelsea (tools/demo-photos.sh): the same
# command without and with the metrics in the same run, each metric's backend calls and images
# scored (from explain.json's metrics_cost) and max-sensitivity's runs of the method.
#
# Usage: bench/explain_metrics.sh [METHOD [BACKEND [SAMPLES]]]   (default gradcam onnx 128)
set -euo pipefail
cd "$(dirname "$0")/.."
method=${1:-gradcam}
backend=${2:-onnx}
samples=${3:-128}
work=${BENCH_DIR:-/tmp/filtervis-bench-metrics}
[ -f models/mobilenet_v2.onnx ] || tools/demo-models.sh
[ -f photos/chelsea.png ] || tools/demo-photos.sh
mkdir -p "$work"
echo "explain --method $method on photos/chelsea.png, pretrained MobileNetV2 (224 px), backend $backend, 2 threads; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  ./filtervis explain --backend "$backend" --threads 2 --model models/mobilenet_v2.onnx --image photos/chelsea.png --method "$method" --quiet "$@"
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.2f}')"
}
plain=$(timed --out "$work/plain")
evaluated=$(timed --out "$work/evaluated" --evaluate all --eval-samples "$samples")
echo "without --evaluate: $plain s (whole command); with --evaluate all --eval-samples $samples: $evaluated s"
/usr/bin/python3 - "$work/evaluated/chelsea/explain.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["explanations"][0]
c, m = e["metrics_cost"], e["metrics"]
print(f"metrics: {c['seconds']:.2f} s, {c['scoring_calls']} scoring calls to the backend for {c['images_scored']} images,"
      f" and {c['method_runs']} runs of the method for max-sensitivity")
print("values: " + ", ".join(f"{k} {v:.4f}" for k, v in m.items() if isinstance(v, float)))
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
