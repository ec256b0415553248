// `neardup install --prefix <env>`: kernelspec and labextension land where that env's Jupyter
// looks, a rerun changes nothing, bad arguments get a clear error; and the env's own Jupyter
// (jupyter kernelspec list from .venv, pointed at the prefix) sees the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, tempDir, venvBin } from '../helpers/jupyter';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [path.join(REPO, 'bin', 'neardup.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, VIRTUAL_ENV: '', CONDA_PREFIX: '', ...env },
  });

test('neardup install --prefix writes the kernelspec and the labextension, idempotently', { skip: fs.existsSync(path.join(REPO, 'dist', 'cli', 'main.js')) ? false : 'run npm run build' }, () => {
  const prefix = tempDir('install');
  try {
    const first = cli(['install', '--prefix', prefix]);
    assert.equal(first.status, 0, first.stderr);
    const kfile = path.join(prefix, 'share', 'jupyter', 'kernels', 'neardup', 'kernel.json');
    const spec = JSON.parse(fs.readFileSync(kfile, 'utf8'));
    assert.equal(spec.display_name, 'TypeScript (neardup)');
    assert.equal(spec.language, 'typescript');
    assert.equal(spec.argv[0], process.execPath);
    assert.equal(spec.argv[1], path.join(REPO, 'dist', 'kernel', 'main.js'));
    assert.deepEqual(spec.argv.slice(2), ['--connection-file', '{connection_file}']);
    assert.match(first.stdout, /kernelspec installed/);

    const ext = path.join(REPO, 'share', 'jupyter', 'labextensions', 'neardup-widgets');
    if (fs.existsSync(path.join(ext, 'package.json'))) {
      const dest = path.join(prefix, 'share', 'jupyter', 'labextensions', 'neardup-widgets');
      assert.deepEqual(fs.readFileSync(path.join(dest, 'package.json')), fs.readFileSync(path.join(ext, 'package.json')));
      assert.deepEqual(fs.readdirSync(path.join(dest, 'static')).sort(), fs.readdirSync(path.join(ext, 'static')).sort());
    }

    const again = cli(['install', '--prefix', prefix]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /kernelspec up to date/);
    assert.doesNotMatch(again.stdout, /labextension installed/);

    // Jupyter itself finds the kernel there.
    if (fs.existsSync(venvBin('jupyter'))) {
      const ks = spawnSync(venvBin('jupyter'), ['kernelspec', 'list', '--json'], {
        encoding: 'utf8',
        env: { ...process.env, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter') },
      });
      assert.equal(ks.status, 0, ks.stderr);
      const found = JSON.parse(ks.stdout).kernelspecs.neardup;
      assert.equal(found.spec.display_name, 'TypeScript (neardup)');
    }
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});

test('neardup install --user writes into the per-user Jupyter data dir', { skip: fs.existsSync(path.join(REPO, 'dist', 'cli', 'main.js')) ? false : 'run npm run build' }, () => {
  const dataDir = tempDir('install-user');
  try {
    const r = cli(['install', '--user'], { JUPYTER_DATA_DIR: dataDir });
    assert.equal(r.status, 0, r.stderr);
    const spec = JSON.parse(fs.readFileSync(path.join(dataDir, 'kernels', 'neardup', 'kernel.json'), 'utf8'));
    assert.equal(spec.display_name, 'TypeScript (neardup)');
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('neardup install names the bad argument', () => {
  const parent = tempDir('install-bad');
  const missing = path.join(parent, 'no-such-env');
  fs.rmSync(parent, { recursive: true, force: true });
  const r = cli(['install', '--prefix', missing]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--prefix: not a directory: .*no-such-env/);
  const both = cli(['install', '--prefix', REPO, '--user']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--prefix and --user/);
  const k = cli(['kernel', '--connection-file', missing]);
  assert.equal(k.status, 2);
  assert.match(k.stderr, /--connection-file: no such file/);
});
