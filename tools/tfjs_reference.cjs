// Reference activations and input gradients from TF.js, the home runtime of the nsfwjs Keras models,
// for the importer test (app-cli KerasImportTest). Run by .ci/run:
//   NODE_PATH=<dir with @tensorflow/tfjs@4.22.0> node tools/tfjs_reference.cjs MODELS_DIR OUT_DIR
// MODELS_DIR holds nsfwjs's dist/models (inception_v3, mobilenet_v2, as the package ships them).
// For each model and layer: a batch of two fixed images, two channels (the first ones that fire),
// the objective of each image (its channel's mean over the map without a 2-pixel border, as
// filtervis defines it) and d(sum of objectives)/d(images). Writes OUT_DIR/reference.json and .npy files.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

// TF.js's CPU backend is plain JavaScript (a 3x3 convolution's gradient at 50x50 takes seconds): the
// images are small and input gradients are computed at a few layers; activations at every layer.
const CASES = [
  {model: 'inception_v3', size: 75, layers: ['activation_5', 'mixed2', 'mixed4'], gradients: ['activation_5', 'mixed4']},
  {model: 'mobilenet_v2', size: 64, layers: ['block_3_expand_relu', 'block_6_expand_relu', 'block_10_project_BN'],
    gradients: ['block_10_project_BN']},
  // At the model's own size: the head (AveragePooling2D, Flatten in NHWC order, Dense); activations only.
  {model: 'mobilenet_v2', size: 224, layers: ['dense_1'], gradients: []},
];

function npy(file, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(new Float32Array(data).buffer)]));
}

// The package's wrapped files are CommonJS modules: the topology object and base64 shards.
async function load(dir, size, last) {
  // A copy: require() caches the module object, and the topology is edited below.
  const artifacts = JSON.parse(JSON.stringify(require(path.resolve(dir, 'model.min.js'))));
  // Up to the last layer tested: the classifier heads need the models' own size, the rest takes any.
  const config = artifacts.modelTopology.model_config.config;
  config.layers = config.layers.slice(0, config.layers.findIndex((l) => l.name === last) + 1);
  config.output_layers = [[last, 0, 0]];
  const kept = new Set(config.layers.map((l) => l.name));
  const specs = [];
  const buffers = [];
  for (const group of artifacts.weightsManifest) {
    const data = Buffer.concat(group.paths.map((p) => Buffer.from(require(path.resolve(dir, p + '.min.js')), 'base64')));
    let offset = 0;
    for (const spec of group.weights) {
      const bytes = spec.shape.reduce((a, b) => a * b, 1) * (spec.quantization ? (spec.quantization.dtype === 'uint8' ? 1 : 2) : 4);
      if (kept.has(spec.name.split('/')[0])) {
        specs.push(spec);
        buffers.push(data.subarray(offset, offset + bytes));
      }
      offset += bytes;
    }
  }
  // TF.js 4.22 cannot differentiate BatchNormalization with scale: false; scale: true with gamma = 1
  // is the same function.
  for (const layer of artifacts.modelTopology.model_config.config.layers) {
    // Smaller test images than the models' own size: the convolutional layers take any size.
    if (layer.class_name === 'InputLayer') {
      layer.config.batch_input_shape = [null, size, size, 3];
    }
    if (layer.class_name === 'BatchNormalization' && layer.config.scale === false) {
      layer.config.scale = true;
      const channels = specs.find((s) => s.name === layer.name + '/moving_mean').shape[0];
      specs.push({name: layer.name + '/gamma', shape: [channels], dtype: 'float32'});
      buffers.push(Buffer.from(new Float32Array(channels).fill(1).buffer));
    }
  }
  const data = Buffer.concat(buffers);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory({modelTopology: artifacts.modelTopology, weightSpecs: specs, weightData}));
  model.kerasLayers = config.layers;
  return model;
}

// The objective of filtervis for every channel: mean over height and width, leaving out a 2-pixel
// border when both exceed 4 (the value itself for [N, C]). Result [N, C].
function channelObjectives(act) {
  if (act.rank === 2) {
    return act;
  }
  const [n, h, w] = act.shape;
  const border = h > 4 && w > 4 ? 2 : 0;
  return act.slice([0, border, border, 0], [n, h - 2 * border, w - 2 * border, -1]).mean([1, 2]);
}

// Image i's objective for its own channel.
function objectives(act, channels) {
  const all = channelObjectives(act);
  return all.mul(tf.oneHot(tf.tensor1d(channels, 'int32'), all.shape[1])).sum(1);
}

// TF.js 4.22's CPU gradient of AvgPool divides by the whole window everywhere, while its forward
// pass divides by the cells inside the image (AveragePooling2D with padding 'same', as in every
// InceptionV3 mixed block): at the borders its gradient is not the derivative of its own forward
// pass (13% off at mixed4 in these tests). The reference keeps TF.js's forward pass and fixes that
// one gradient: dy is scaled by window / cells, so TF.js's division by the window becomes a
// division by the cells each output averaged.
function fixAvgPoolGradient() {
  const original = tf.getGradient('AvgPool');
  tf.registerGradient({kernelName: 'AvgPool', inputsToSave: ['x'], gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const [fh, fw] = Array.isArray(attrs.filterSize) ? attrs.filterSize : [attrs.filterSize, attrs.filterSize];
    const [sh, sw] = Array.isArray(attrs.strides) ? attrs.strides : [attrs.strides, attrs.strides];
    let share = tf.onesLike(dy);
    if (attrs.pad === 'same') {
      const pads = [[x.shape[1], fh, sh], [x.shape[2], fw, sw]].map(([size, k, st]) => {
        const total = Math.max((Math.ceil(size / st) - 1) * st + k - size, 0);
        return [Math.floor(total / 2), total - Math.floor(total / 2)];
      });
      const ones = tf.ones([1, x.shape[1], x.shape[2], 1]);
      share = tf.avgPool(tf.pad(ones, [[0, 0], pads[0], pads[1], [0, 0]]), [fh, fw], [sh, sw], 'valid');
    }
    return original.gradFunc(dy.div(share), saved, attrs);
  }});
}

async function main() {
  fixAvgPoolGradient();
  const [modelsDir, outDir] = process.argv.slice(2);
  fs.mkdirSync(outDir, {recursive: true});
  const entries = [];
  for (const c of CASES) {
    let clock = Date.now();
    const model = await load(path.join(modelsDir, c.model), c.size, c.layers[c.layers.length - 1]);
    console.log(`${c.model}: loaded in ${(Date.now() - clock) / 1000} s`);
    const n = 2;
    const x = new Float32Array(n * c.size * c.size * 3);
    for (let i = 0; i < x.length; i++) {
      x[i] = 0.5 + 0.45 * Math.sin(i * 0.61 + Math.cos(i * 0.013));
    }
    const inputFile = `${c.model}_${c.size}_x.npy`;
    npy(path.join(outDir, inputFile), [n, c.size, c.size, 3], x);
    const images = tf.tensor4d(x, [n, c.size, c.size, 3]);
    for (const layer of c.layers) {
      const cut = tf.model({inputs: model.inputs, outputs: model.getLayer(layer).output});
      const started = Date.now();
      const act = cut.predict(images);
      // Image 0: the first channel that fires on it; image 1: the next one that fires on it (a dead
      // channel has no gradient to compare).
      const means = channelObjectives(act).arraySync();
      const first = means[0].findIndex((v) => v > 1e-3);
      const channels = [first, means[1].findIndex((v, k) => k > first && v > 1e-3)];
      if (channels.includes(-1)) {
        throw new Error(`${c.model} ${layer}: no channel fires on the test images`);
      }
      const obj = objectives(act, channels).arraySync();
      let gradFile = null;
      if (c.gradients.includes(layer)) {
        const grad = tf.grad((im) => objectives(cut.apply(im), channels).sum())(images);
        gradFile = `${c.model}_${c.size}_${layer}_grad.npy`;
        npy(path.join(outDir, gradFile), grad.shape, grad.dataSync());
      }
      entries.push({model: c.model, size: c.size, layer, channels, objectives: obj, input: inputFile, gradient: gradFile});
      console.log(`${c.model} ${layer} channels ${channels} objectives ${obj.map((v) => v.toPrecision(6))} (${(Date.now() - started) / 1000} s)`);
    }
  }
  fs.writeFileSync(path.join(outDir, 'reference.json'), JSON.stringify({tfjs: tf.version.tfjs, entries}, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
