#!/usr/bin/env sh
# Fetches nsfwjs@4.3.0 (MIT) from the npm registry with `npm pack`, checks the tarball against the
# integrity hash pinned here, and unpacks it into DEST (default: models/npm). Its Keras models in
# TF.js layers format are an InceptionV3 (frozen ImageNet layers up to mixed5) and a MobileNetV2
# (up to block_10_project_BN): DEST/package/dist/models/{inception_v3,mobilenet_v2}.
set -eu
dest=${1:-models/npm}
integrity="sha512-WTKDte0vp1X97N1h34P79G/hG+sVT3+TnDz9di1WseIJR93v11E4viNX7Vg9WsO6HYoR772Nzq2iM8jo3XBZ+g=="
if [ -d "$dest/package/dist/models/inception_v3" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_nsfwjs: npm is not installed; install it (Debian: apt-get install npm) and rerun $0" >&2
  exit 3
fi
mkdir -p "$dest"
tgz="$dest/nsfwjs-4.3.0.tgz"
if [ ! -f "$tgz" ]; then
  (cd "$dest" && npm pack nsfwjs@4.3.0 --silent >/dev/null)
fi
actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 | tr -d '\n')"
if [ "$actual" != "$integrity" ]; then
  rm -f "$tgz"
  echo "fetch_nsfwjs: $tgz does not match the pinned integrity hash ($actual); deleted it, nothing unpacked" >&2
  exit 4
fi
tar -xzf "$tgz" -C "$dest" package/dist/models package/LICENSE
