/**
 * The package's public names, per entry point (`neardup`, `neardup/widgets`, `neardup/kernel`,
 * `neardup/onnx`), against the committed list in exports.json: adding or removing a public name is
 * a decision made by updating that file. Runtime names come from the built modules the package's
 * "exports" map points at; type-only names are listed from the compiled .d.ts export lists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const snapshot: Record<string, { values: string[]; types: string[] }> = JSON.parse(fs.readFileSync(path.join(__dirname, 'exports.json'), 'utf8'));

/** Every name in the `export { ... }` lists of a compiled .d.ts, and which ones are types only. */
function declared(dts: string): { all: string[] } {
  const text = fs.readFileSync(dts, 'utf8');
  assert.ok(!/export \*/.test(text), `${dts} uses export *: the entry points list their names`);
  const names: string[] = [];
  for (const m of text.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const n = part.trim().replace(/^type /, '').split(/\s+as\s+/).pop()!.trim();
      if (n) names.push(n);
    }
  }
  return { all: [...new Set(names)].sort() };
}

test('each entry point exports exactly the committed list of names (test/api/exports.json)', () => {
  const entries = Object.keys(pkg.exports).filter((k) => k !== './package.json');
  assert.deepEqual(entries.sort(), Object.keys(snapshot).sort());
  for (const entry of entries) {
    const target = pkg.exports[entry];
    const mod = require(path.join(ROOT, target.require));
    const values = Object.keys(mod).filter((k) => k !== '__esModule').sort();
    const all = declared(path.join(ROOT, target.types)).all;
    const types = all.filter((n) => !values.includes(n));
    assert.deepEqual({ values, types }, snapshot[entry], `exports of ${entry === '.' ? 'neardup' : `neardup/${entry.slice(2)}`}`);
  }
});

test('the main entry stays a few dozen names and leaves the widget toolkit, kernel and ONNX tooling to their subpaths', () => {
  const main = snapshot['.'];
  assert.ok(main.values.length + main.types.length <= 120, `${main.values.length + main.types.length} names in neardup`);
  for (const internal of ['round6', 'tempPathFor', 'insertBuffers', 'keepRank', 'contentKey', 'zooUrl', 'thresholdIndex', 'liveWidgets', 'optionalColumn', 'IntSlider', 'Image', 'Text', 'Layout', 'startKernel', 'addEmbeddingOutput']) {
    assert.ok(!main.values.includes(internal) && !main.types.includes(internal), `${internal} is not in the main entry`);
  }
  assert.ok(snapshot['./widgets'].values.includes('IntSlider'));
  assert.ok(snapshot['./kernel'].values.includes('startKernel'));
  assert.ok(snapshot['./onnx'].values.includes('addEmbeddingOutput'));
});
