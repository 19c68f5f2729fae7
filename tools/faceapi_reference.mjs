#!/usr/bin/env node
// Computes face-api's own output for one fixed synthetic input, with the
// package's network on TF.js's CPU backend (both bundled in @vladmandic/face-api's
// dist/face-api.esm.js; no other package needed). The output is the reference
// that FaceKit's ONNX imports are compared against:
//   --net resnet (default): FaceRecognitionNet, 150x150 -> descriptor
//     (tests/runtime/faceapi_resnet_test.cc, data/faceapi_resnet_reference.json)
//   --net age_gender: AgeGenderNet, 112x112 -> age, gender (softmax [male, female])
//   --net expression: FaceExpressionNet, 112x112 -> probabilities (7)
//     (tests/runtime/faceapi_classifier_test.cc, data/faceapi_<net>_reference.json)
//
// usage: node tools/faceapi_reference.mjs [--net resnet|age_gender|expression] [PACKAGE_DIR] > reference.json
//   PACKAGE_DIR: an unpacked @vladmandic/face-api@1.7.15 ("package/"); without
//   it the package is fetched with `npm pack` (npm registry) into a temp folder.
//
// The bundle's Node platform class reads TextEncoder from a `util` module that
// the browser bundle stubs out; the script hands it Node's util (one textual
// replacement in a temporary copy of the bundle) so that it loads under Node.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';

const VERSION = '1.7.15';
const args = process.argv.slice(2);
let net = 'resnet';
const netFlag = args.indexOf('--net');
if (netFlag >= 0) {
  net = args[netFlag + 1];
  args.splice(netFlag, 2);
}
const NETS = {
  resnet: { manifest: 'face_recognition_model', size: 150, make: (f) => new f.FaceRecognitionNet() },
  age_gender: { manifest: 'age_gender_model', size: 112, make: (f) => new f.AgeGenderNet() },
  expression: { manifest: 'face_expression_model', size: 112, make: (f) => new f.FaceExpressionNet() },
};
if (!NETS[net]) throw new Error(`unknown --net '${net}' (resnet, age_gender, expression)`);
let pkgDir = args[0];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faceapi-ref-'));
try {
  if (!pkgDir) {
    const out = execFileSync('npm', ['pack', `@vladmandic/face-api@${VERSION}`, '--silent', '--pack-destination', tmp],
                             { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    execFileSync('tar', ['-xzf', path.join(tmp, out.trim().split('\n').pop()), '-C', tmp]);
    pkgDir = path.join(tmp, 'package');
  }
  const bundle = fs.readFileSync(path.join(pkgDir, 'dist', 'face-api.esm.js'), 'utf8');
  const stub = 'this.util=AR()';
  if (!bundle.includes(stub)) throw new Error(`face-api bundle changed: '${stub}' not found`);
  globalThis.__facekitNodeUtil = util;
  const patched = path.join(tmp, 'face-api.esm.mjs');
  fs.writeFileSync(patched, bundle.replace(stub, 'this.util=globalThis.__facekitNodeUtil'));
  const faceapi = await import(patched);
  const tf = faceapi.tf;
  await tf.setBackend('cpu');
  await tf.ready();

  const modelDir = path.join(pkgDir, 'model');
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, `${NETS[net].manifest}-weights_manifest.json`), 'utf8'));
  const buffers = manifest[0].paths.map((p) => fs.readFileSync(path.join(modelDir, p)));
  const all = Buffer.concat(buffers);
  const weightMap = tf.io.decodeWeights(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), manifest[0].weights);
  const model = NETS[net].make(faceapi);
  model.loadFromWeightMap(weightMap);

  // The fixed input: RGB value (3x + 5y + 70c) mod 256 at column x, row y, channel c.
  const size = NETS[net].size;
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = (3 * x + 5 * y + 70 * c) % 256;
    }
  }
  const input = tf.tensor4d(data, [1, size, size, 3]);
  const out = model.forwardInput(await faceapi.toNetInput(input));
  const result = {
    package: `@vladmandic/face-api@${VERSION}`,
    net,
    backend: tf.getBackend(),
    tfjs: tf.version_core,
    input: `RGB (3x + 5y + 70c) mod 256, ${size}x${size}`,
  };
  if (net === 'resnet') result.descriptor = Array.from(await out.data());
  if (net === 'age_gender') {
    result.age = Array.from(await out.age.data());
    result.gender = Array.from(await out.gender.data());
  }
  if (net === 'expression') result.probabilities = Array.from(await out.data());
  console.log(JSON.stringify(result));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
