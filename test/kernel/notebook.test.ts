// Headless notebook: test/notebooks/widgets.ipynb runs through nbclient on the neardup kernel and
// the saved notebook carries the widget state (metadata.widgets), as `jupyter nbconvert --execute`
// or papermill would store it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, jupyterMissing, runPython, tempDir } from '../helpers/jupyter';

const skip = jupyterMissing();
const text = (o: any): string => (Array.isArray(o.text) ? o.text.join('') : o.text);

test('a notebook with widgets and a progress bar executes via nbclient and keeps widget state', { skip: skip ?? false, timeout: 300_000 }, () => {
  const out = tempDir('nb');
  try {
    const dst = path.join(out, 'widgets.out.ipynb');
    const nbDir = path.join(REPO, 'test', 'notebooks');
    runPython([path.join(__dirname, 'run_notebook.py'), path.join(nbDir, 'widgets.ipynb'), dst, nbDir]);
    const nb = JSON.parse(fs.readFileSync(dst, 'utf8'));

    const errors = nb.cells.flatMap((c: any) => c.outputs.filter((o: any) => o.output_type === 'error' || o.name === 'stderr'));
    assert.deepEqual(errors, []);

    const wstate = nb.metadata.widgets['application/vnd.jupyter.widget-state+json'];
    assert.equal(wstate.version_major, 2);
    const models: Record<string, any> = wstate.state;
    const byName = (n: string) => Object.entries(models).filter(([, m]) => m.model_name === n);

    // The slider cell's view points at a saved IntSliderModel whose value is the last one set.
    const view = nb.cells[1].outputs.find((o: any) => o.data && o.data['application/vnd.jupyter.widget-view+json']);
    const id = view.data['application/vnd.jupyter.widget-view+json'].model_id;
    assert.equal(models[id].model_name, 'IntSliderModel');
    assert.equal(models[id].model_module, '@jupyter-widgets/controls');
    assert.equal(models[id].state.value, 17);
    assert.equal(text(nb.cells[2].outputs[0]), '5\n');
    assert.equal(text(nb.cells[5].outputs.at(-1)), '17\n');

    // The progress bar finished: value == max, green.
    const [[, bar]] = byName('IntProgressModel');
    assert.equal(bar.state.max, 50);
    assert.equal(bar.state.value, 50);
    assert.equal(bar.state.bar_style, 'success');
    assert.equal(bar.state.description, 'embedding');

    // Boxes reference their children by IPY_MODEL_ ids that are saved too.
    const [[, vbox]] = byName('VBoxModel');
    for (const ref of vbox.state.children) assert.ok(models[ref.replace('IPY_MODEL_', '')], `${ref} saved`);
    for (const n of ['FloatRangeSliderModel', 'ButtonModel', 'DropdownModel', 'CheckboxModel', 'TextModel', 'HTMLModel', 'LayoutModel']) {
      assert.ok(byName(n).length > 0, `${n} saved`);
    }
    assert.deepEqual(byName('FloatRangeSliderModel')[0][1].state.value, [0.9, 0.97]);
    assert.deepEqual(byName('DropdownModel')[0][1].state._options_labels, ['first', 'largest']);

    // Output widget: what a captured block printed, then an appended line, end up in its state.
    const [[, outModel]] = byName('OutputModel');
    const outText = outModel.state.outputs.map((o: any) => text(o)).join('');
    assert.match(outText, /captured line\n[\s\S]*appended line\n/);
    assert.equal(outModel.state.msg_id, '');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
