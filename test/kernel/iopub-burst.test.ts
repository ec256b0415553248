// A burst of output: every line a cell prints, and every widget update it makes in a tight loop,
// must reach the client. zeromq refuses a send while the previous one is being written, so without
// the kernel's send queue some of these were dropped under load ("Socket is busy writing").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { jupyterMissing, runPython, tempDir } from '../helpers/jupyter';

const skip = jupyterMissing();

test('a tight loop of prints and progress updates arrives complete and in order', { skip: skip ?? false, timeout: 300_000 }, () => {
  const dir = tempDir('burst');
  const src = path.join(dir, 'burst.ipynb');
  const cells = [
    'import { IntProgress, display } from "neardup/widgets";\nconst bar = new IntProgress({ value: 0, max: 300 });\ndisplay(bar);\nfor (let i = 1; i <= 300; i++) { bar.value = i; console.log(`line ${i}`); }',
    'console.log(`kernel sees ${bar.value}`);',
  ];
  fs.writeFileSync(
    src,
    JSON.stringify({
      cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, source, outputs: [], execution_count: null })),
      metadata: { kernelspec: { name: 'neardup', display_name: 'TypeScript (neardup)', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
  const dst = path.join(dir, 'burst.out.ipynb');
  runPython([path.join(__dirname, 'run_notebook.py'), src, dst, dir]);
  const nb = JSON.parse(fs.readFileSync(dst, 'utf8'));
  const printed = nb.cells[0].outputs
    .filter((o: any) => o.name === 'stdout')
    .map((o: any) => (Array.isArray(o.text) ? o.text.join('') : o.text))
    .join('');
  const lines = printed.trim().split('\n');
  assert.equal(lines.length, 300);
  assert.deepEqual(lines, Array.from({ length: 300 }, (_, i) => `line ${i + 1}`));
  const state = nb.metadata.widgets['application/vnd.jupyter.widget-state+json'].state;
  const bar = Object.values(state).find((m: any) => m.model_name === 'IntProgressModel') as any;
  assert.equal(bar.state.value, 300, 'the last update reached the client');
  fs.rmSync(dir, { recursive: true, force: true });
});
