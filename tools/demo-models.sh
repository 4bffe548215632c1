#!/usr/bin/env sh
# Set-up of the pretrained demo: fetches nsfwjs@4.3.0 from npm (tools/fetch_nsfwjs.sh checks its
# integrity hash) and converts its two Keras models to ONNX with filtervis itself:
#   models/inception_v3.onnx (299 px; the default demo, layer mixed4) and models/mobilenet_v2.onnx (224 px).
# Needs the built distribution. Without npm it says what to do and exits 0: `./filtervis visualize`
# then uses the generated demo network.
set -eu
cd "$(dirname "$0")/.."
if [ -f models/inception_v3.onnx ] && [ -f models/mobilenet_v2.onnx ]; then
  exit 0
fi
if ! sh tools/fetch_nsfwjs.sh models/npm; then
  echo "demo-models: no pretrained models (see above); filtervis uses its generated demo network instead" >&2
  exit 0
fi
for m in inception_v3 mobilenet_v2; do
  ./filtervis convert --model "models/npm/package/dist/models/$m" --to onnx --input-range -1:1 --output "models/$m.onnx"
done
