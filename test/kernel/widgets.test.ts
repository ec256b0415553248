// Kernel-side widgets outside a kernel ("detached"): state, properties, events, serialisation of
// binary state into buffer_paths, and the progress bar's text fallback. No Jupyter needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntSlider, Dropdown, Image, HBox, Button, serializeState, insertBuffers, progressBar, Widget } from '../../src/widgets/index';

test('controls keep state and fire change events without a kernel', () => {
  const s = new IntSlider({ value: 5, min: 0, max: 100 });
  const seen: Array<[number, number]> = [];
  s.on('change:value', (c) => seen.push([c.old, c.new]));
  const all: string[] = [];
  s.observe((c) => all.push(String(c.name)));
  s.value = 9;
  s.set({ value: 9, max: 50 }); // value unchanged: no event for it
  assert.equal(s.value, 9);
  assert.equal(s.max, 50);
  assert.deepEqual(seen, [[5, 9]]);
  assert.deepEqual(all, ['value', 'max']);
  assert.equal(String(s), 'IntSlider(value=9, min=0, max=50)');
  const bundle = s._repr_mimebundle_();
  assert.deepEqual(bundle.data['application/vnd.jupyter.widget-view+json'], { model_id: s.model_id, version_major: 2, version_minor: 0 });

  const d = new Dropdown({ options: [['first', 1], ['largest', 2]], value: 2 });
  assert.equal(d.index, 1);
  assert.equal(d.label, 'largest');
  d.value = 1;
  assert.equal(d.index, 0);
  assert.throws(() => new Dropdown({ options: ['a'], value: 'b' }), /not one of its options/);

  let clicks = 0;
  const b = new Button({ description: 'go' });
  b.on('click', () => clicks++);
  b.onClick(() => {
    throw new Error('ignored');
  });
  b.click();
  assert.equal(clicks, 1);
});

test('binary state becomes buffers at buffer_paths and goes back in place', () => {
  const bytes = new Uint8Array([0, 1, 2, 254, 255]);
  const img = new Image({ value: bytes });
  const box = new HBox([img]);
  const { state, buffer_paths, buffers } = serializeState({ a: [1, new DataView(bytes.buffer, 1, 3)], img: img.getState(), box });
  assert.deepEqual(buffer_paths, [['a', 1], ['img', 'value']]);
  assert.deepEqual(buffers.map((b) => Array.from(b)), [[1, 2, 254], [0, 1, 2, 254, 255]]);
  assert.equal(state.a[1], null);
  assert.equal(state.box, `IPY_MODEL_${box.model_id}`);
  assert.deepEqual(box.getState().children.map((w: Widget) => w.model_id), [img.model_id]);
  insertBuffers(state, buffer_paths, buffers);
  assert.deepEqual(Array.from(state.img.value as Uint8Array), Array.from(bytes));
});

test('progressBar falls back to a text line outside a kernel', () => {
  const writes: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    writes.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const cb = progressBar(10, 'embedding', { intervalMs: 0 });
    assert.equal(cb.widget, null);
    for (let i = 1; i <= 10; i++) cb(i, 10);
  } finally {
    process.stderr.write = orig;
  }
  assert.match(writes.at(-1)!, /embedding: 10 \/ 10 .*done in/);
  assert.ok(writes.at(-1)!.endsWith('\n'));
});
