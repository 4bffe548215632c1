#!/usr/bin/env sh
# Set-up of the pretrained demo: fetches nsfwjs@4.3.0 from npm (tools/fetch_nsfwjs.sh checks its
# integrity hash) and converts its two Keras models to ONNX with filtervis itself:
#   models/inception_v3.onnx (299 px; the default demo, layer mixed4) and models/mobilenet_v2.onnx (224 px;
#   the classifier `explain` uses by default, with nsfwjs's five class names recorded).
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
# InceptionV3 records -1:1, the range its frozen ImageNet layers (mixed4, the demo's layer) learnt in.
./filtervis convert --model models/npm/package/dist/models/inception_v3 --to onnx --input-range -1:1 --output models/inception_v3.onnx
# The MobileNetV2 classifier records what nsfwjs feeds it (pixels / 255, its core.js) and its class
# names (its nsfw_classes.js, in index order), so that explain classifies as nsfwjs does.
labels=models/npm/nsfw_classes.txt
tar -xzOf models/npm/nsfwjs-4.3.0.tgz package/dist/cjs/nsfw_classes.js | sed -n "s/^ *[0-9]*: '\([A-Za-z]*\)',\{0,1\}\$/\1/p" >"$labels"
if [ "$(wc -l <"$labels")" -ne 5 ]; then
  echo "demo-models: could not read nsfwjs's five class names from its nsfw_classes.js" >&2
  exit 1
fi
./filtervis convert --model models/npm/package/dist/models/mobilenet_v2 --to onnx --input-range 0:1 --labels "$labels" --output models/mobilenet_v2.onnx
