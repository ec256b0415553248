#!/usr/bin/env node
// `npm run setup`: the project's Jupyter environment, idempotent and quick on rerun.
//  1. .venv with the pinned Jupyter stack (scripts/jupyter-requirements.txt) and the Python packages
//     the tests use (scripts/test-requirements.txt: Hugging Face `datasets`), re-synced only when
//     either file changes;
//  2. the prebuilt JupyterLab extension (scripts/build-labextension.mjs), rebuilt only when
//     widgets/ sources are newer than the build;
//  3. the `neardup` kernelspec and the extension installed into .venv/share/jupyter.
// Expects `npm run build` to have run (the npm script does it first).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const venv = join(root, '.venv');
const py = join(venv, 'bin', 'python');
const reqFiles = ['jupyter-requirements.txt', 'test-requirements.txt'].map((f) => join(root, 'scripts', f));

function run(cmd, args) {
  console.log(`> ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    console.error(`setup: ${cmd} exited with ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

// 1. virtualenv
if (!existsSync(py)) run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
const reqHash = reqFiles.reduce((h, f) => h.update(readFileSync(f)), createHash('sha256')).digest('hex');
const stamp = join(venv, '.neardup-requirements.sha256');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== reqHash) {
  run(py, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', ...reqFiles.flatMap((f) => ['-r', f])]);
  writeFileSync(stamp, reqHash);
} else {
  console.log('setup: .venv is up to date with scripts/jupyter-requirements.txt and test-requirements.txt');
}

// 2. labextension build (written by the explorer widget; skipped if absent)
const buildScript = join(root, 'scripts', 'build-labextension.mjs');
const built = join(root, 'share', 'jupyter', 'labextensions', 'neardup-widgets', 'package.json');
function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const name of readdirSync(p)) {
    if (name === 'node_modules' || name === 'lib') continue;
    m = Math.max(m, newestMtime(join(p, name)));
  }
  return m;
}
if (existsSync(buildScript)) {
  const srcTime = newestMtime(join(root, 'widgets'));
  if (!existsSync(built) || statSync(built).mtimeMs < srcTime) run(process.execPath, [buildScript]);
  else console.log('setup: labextension build is up to date');
}

// 3. kernelspec + labextension into the venv's data dir
const require = createRequire(import.meta.url);
const inst = require(join(root, 'dist', 'kernel', 'install.js'));
const dataDir = inst.prefixDataDir(venv);
const ks = inst.installKernelspec(dataDir, root);
console.log(`setup: kernelspec ${ks.changed ? 'installed' : 'up to date'}: ${ks.file}`);
const ext = inst.builtLabextension(root);
if (ext) {
  const le = inst.installLabextension(dataDir, ext);
  console.log(`setup: labextension ${le.changed ? 'installed' : 'up to date'}: ${le.dir}`);
} else {
  console.log('setup: no prebuilt labextension to install (share/jupyter/labextensions/neardup-widgets missing)');
}
