#!/usr/bin/env node
// Builds the browser side of the explorer (widgets/) into a prebuilt JupyterLab extension at
// share/jupyter/labextensions/neardup-widgets/: TypeScript first, then `jupyter labextension build`
// (JupyterLab's own builder, `jupyter-builder build`: webpack module federation) from the project's .venv.
// Usage: node scripts/build-labextension.mjs [--development]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkgDir = join(root, 'widgets');
const outDir = join(root, 'share', 'jupyter', 'labextensions', 'neardup-widgets');

function run(cmd, args) {
  console.log(`> ${cmd} ${args.join(' ')}`);
  // `jupyter labextension build` re-launches `jupyter-builder` from PATH: put the venv's bin first.
  const env = { ...process.env };
  if (cmd.includes('/')) env.PATH = `${dirname(cmd)}${delimiter}${env.PATH ?? ''}`;
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function findJupyter() {
  const candidates = [process.env.JUPYTER, join(root, '.venv', 'bin', 'jupyter')].filter(Boolean);
  for (const c of candidates) if (existsSync(c)) return c;
  return 'jupyter'; // from PATH
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(join(root, 'node_modules', '@jupyterlab', 'builder'))) {
  console.error('build-labextension: node_modules/@jupyterlab/builder is missing; run `npm install` at the repo root first');
  process.exit(1);
}
// Build against the exact JupyterLab installed beside `jupyter` (its staging/package.json lists
// the shared singletons); otherwise the builder tries to download @jupyterlab/core-meta.
function corePackageFile(jupyter) {
  const py = jupyter.includes('/') ? join(dirname(jupyter), 'python') : 'python3';
  const r = spawnSync(py, ['-c', 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging", "package.json"))'], { encoding: 'utf8' });
  const file = (r.stdout || '').trim();
  return r.status === 0 && existsSync(file) ? file : null;
}

run(process.execPath, [tsc, '-p', join(pkgDir, 'tsconfig.json')]);
const jupyter = findJupyter();
// `jupyter labextension build` is deprecated in favour of `jupyter-builder build` (same builder,
// no deprecation notice); the old command stays as a fallback for JupyterLab installs without it.
const builder = jupyter.includes('/') ? join(dirname(jupyter), 'jupyter-builder') : 'jupyter-builder';
const useBuilder = jupyter.includes('/') ? existsSync(builder) : spawnSync(builder, ['--version']).status === 0;
const args = useBuilder ? ['build', pkgDir] : ['labextension', 'build', pkgDir];
const core = corePackageFile(jupyter);
if (core) args.push(`--core-package-file=${core}`);
if (process.argv.includes('--development')) args.push('--development', 'True');
run(useBuilder ? builder : jupyter, args);

const built = JSON.parse(readFileSync(join(outDir, 'package.json'), 'utf8'));
if (!built.jupyterlab?._build?.load) {
  console.error(`build-labextension: ${outDir}/package.json has no jupyterlab._build section`);
  process.exit(1);
}
console.log(`built ${built.name}@${built.version} -> ${outDir} (${built.jupyterlab._build.load})`);
