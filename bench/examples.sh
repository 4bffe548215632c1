#!/usr/bin/env bash
# Benchmark: the dataset-examples scan (filtervis examples, resnet18's four block outputs, 224 px,
# top 9 per channel) against eager PyTorch doing the same work on the same photos in the same run
# (bench/examples_pytorch.py): decoding and preparing every photo (not cached), the forward
# passes in batches of 16, the per-channel maxima and a running top K. Prints photos per second and
# the ratio, and the time a 1.28 M-photo collection (ImageNet's training set) would take at that rate.
#
# With SPARK=1 each round also runs the scan as an Apache Spark job on local[THREADS] (THREADS
# tasks of 1 thread at once; partitions of 256 photos, so give at least 256 x THREADS photos) and
# prints the engine's overhead against the local engine in the same round.
#
# Usage: [SPARK=1] bench/examples.sh [BACKEND [THREADS [PHOTOS]]]   (default onnx 2 240)
# Needs: the built distribution and Debian's python3-torch, python3-torchvision and python3-pil;
# the photos are crops and flips of skimage's (downloaded with apt-get download, not installed).
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-onnx}
threads=${2:-2}
count=${3:-240}
work=${BENCH_DIR:-/tmp/filtervis-bench-examples}
py=/usr/bin/python3
mkdir -p "$work"
if [ ! -d "$work/skimage" ]; then
  (mkdir -p "$work/skimage" && cd "$work/skimage" && apt-get download python3-skimage >/dev/null 2>&1 && dpkg -x python3-skimage_*.deb x)
fi
if [ ! -d "$work/photos-$count" ]; then
  $py - "$work/skimage/x/usr/lib/python3/dist-packages/skimage/data" "$work/photos-$count" "$count" <<'PY'
import os, sys
import numpy as np
from PIL import Image
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "motorcycle_right.png", "rocket.jpg"]
rng = np.random.default_rng(0)
for k in range(n):
    base = Image.open(f"{src}/{names[k % len(names)]}").convert("RGB")
    w, h = base.size
    cw, ch = int(rng.integers(w // 2, w)), int(rng.integers(h // 2, h))
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    img = base.crop((x, y, x + cw, y + ch))
    if k % 2:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    os.makedirs(f"{out}/{k % 10}", exist_ok=True)
    img.save(f"{out}/{k % 10}/p{k:04d}." + ("jpg" if k % 3 == 0 else "png"), quality=90)
PY
fi
if [ ! -f "$work/resnet18.onnx" ]; then
  $py - "$work" <<'PY' 2>/dev/null
import sys
import torch, torchvision
sys.path.insert(0, "tools")
from export_torchvision import calibrate
out = sys.argv[1]
torch.manual_seed(0)
model = calibrate(torchvision.models.resnet18(weights=None), 224, 4)
torch.onnx.export(model, torch.randn(1, 3, 224, 224), f"{out}/resnet18.onnx", opset_version=17, input_names=["image"], output_names=["logits"],
                  dynamic_axes={"image": {0: "batch"}})
class Blocks(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
    def forward(self, x):
        m = self.m
        x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        a = m.layer1(x); b = m.layer2(a); c = m.layer3(b); d = m.layer4(c)
        return a, b, c, d
torch.jit.trace(Blocks(model).eval(), torch.randn(1, 3, 224, 224)).save(f"{out}/resnet18-blocks.pt")
PY
fi
layers=$($py - "$work/resnet18.onnx" <<'PY'
import sys
import onnx
sys.path.insert(0, "tools")
from export_real_models import module_output_tensor
g = onnx.load(sys.argv[1])
print(",".join(module_output_tensor(g, m) for m in ("layer1", "layer2", "layer3", "layer4")))
PY
)
echo "resnet18 blocks layer1-layer4, 224 px, $count photos (decoded every time), batch 16, top 9, $threads threads, backend $backend"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
best_fv=0
best_pt=0
best_sp=0
for round in $(seq 1 "${ROUNDS:-2}"); do
  ./filtervis examples --backend "$backend" --threads "$threads" --model "$work/resnet18.onnx" --preprocess torchvision --layers "$layers" \
    --images "$work/photos-$count" --top 9 --batch 16 --out "$work/out" 2> "$work/fv.log"
  # The scan's own rate (the crops, maps and page that follow depend on the channels kept, not on the photos: said apart).
  fv=$(grep -o 'scanned [0-9]* photos in [0-9.]* s ([0-9.]* photos/s)' "$work/fv.log" | sed 's/.*(\([0-9.]*\) photos.*/\1/')
  pages=$(grep -o 'page in [0-9.]* s' "$work/fv.log" | awk '{print $3}')
  pt=$($py bench/examples_pytorch.py "$work/resnet18-blocks.pt" "$work/photos-$count" "$threads" 224 16 9 2>/dev/null | awk '{print $3}')
  echo "round $round: filtervis $fv photos/s (then $pages s for the examples' crops, maps and page), eager PyTorch $pt photos/s"
  if [ "${SPARK:-0}" = 1 ]; then
    rm -rf "$work/out-spark"
    ./filtervis examples --backend "$backend" --threads 1 --engine spark --master "local[$threads]" --model "$work/resnet18.onnx" \
      --preprocess torchvision --layers "$layers" --images "$work/photos-$count" --top 9 --batch 16 --out "$work/out-spark" 2> "$work/sp.log"
    sp=$(grep -o 'scanned [0-9]* photos in [0-9.]* s ([0-9.]* photos/s)' "$work/sp.log" | sed 's/.*(\([0-9.]*\) photos.*/\1/')
    cmp -s "$work/out/examples.json" "$work/out-spark/examples.json" && same="byte-identical" || same="DIFFERENT"
    echo "round $round: --engine spark --master local[$threads] $sp photos/s (examples.json $same to the local engine's)"
    best_sp=$($py -c "print(max($best_sp, $sp))")
  fi
  best_fv=$($py -c "print(max($best_fv, $fv))")
  best_pt=$($py -c "print(max($best_pt, $pt))")
done
$py -c "fv, pt = $best_fv, $best_pt; print(f'best: filtervis {fv:.2f} photos/s, eager PyTorch {pt:.2f} photos/s, ratio {fv / pt:.2f}x;'
f' 1.28 M photos at this rate: {1.28e6 / fv / 3600:.1f} h on one machine of 2 cores')"
if [ "${SPARK:-0}" = 1 ]; then
  $py -c "fv, sp = $best_fv, $best_sp; print(f'Spark engine on local[$threads]: {sp:.2f} photos/s against the local engine\'s {fv:.2f}: overhead {(fv / sp - 1) * 100:.1f}%')"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
