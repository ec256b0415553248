// The neardup kernel through a real Jupyter client (jupyter_client from .venv, driven by
// protocol_client.py): widget display, frontend updates, buffers both ways, bad input,
// comm_info, the control comm, completion, inspection and interrupt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { jupyterMissing, runPython, tempDir } from '../helpers/jupyter';

const skip = jupyterMissing();

test('kernel speaks comms and the widget protocol through jupyter_client', { skip: skip ?? false, timeout: 300_000 }, () => {
  // A directory outside the repo: `import ... from "neardup"` must resolve without a node_modules.
  const cwd = tempDir('kernel-proto');
  let r: any;
  try {
    const out = runPython([path.join(__dirname, 'protocol_client.py'), cwd], { env: { NEARDUP_MAX_COMM_BYTES: String(1024 * 1024) } });
    r = JSON.parse(out.trim().split('\n').pop()!);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }

  // comm_info_request is answered with comm_info_reply (tslab sent complete_reply).
  assert.equal(r.comm_info_empty.msg_type, 'comm_info_reply');
  assert.deepEqual(r.comm_info_empty.content, { status: 'ok', comms: {} });
  assert.ok(r.comm_info_empty.parent_ok);

  // The cell's last value displays the slider: comm_open (protocol 2.1.0) then the view.
  assert.equal(r.display_cell.status, 'ok', r.display_cell.stderr);
  assert.equal(r.display_cell.stdout, '', 'a widget is displayed, not printed');
  const opens = r.display_cell.iopub.filter((m: any) => m.msg_type === 'comm_open');
  const slider = opens.find((m: any) => m.content.data.state._model_name === 'IntSliderModel');
  assert.ok(slider, 'an IntSliderModel comm_open');
  assert.equal(slider.content.target_name, 'jupyter.widget');
  assert.deepEqual(slider.metadata, { version: '2.1.0' });
  const st = slider.content.data.state;
  assert.equal(st._model_module, '@jupyter-widgets/controls');
  assert.equal(st._model_module_version, '2.0.0');
  assert.equal(st._view_name, 'IntSliderView');
  assert.deepEqual([st.value, st.min, st.max, st.step], [5, 0, 100, 1]);
  const layoutId = st.layout.replace('IPY_MODEL_', '');
  assert.ok(opens.some((m: any) => m.content.comm_id === layoutId && m.content.data.state._model_name === 'LayoutModel'));
  const disp = r.display_cell.iopub.find((m: any) => m.msg_type === 'display_data');
  assert.deepEqual(disp.content.data['application/vnd.jupyter.widget-view+json'], {
    model_id: slider.content.comm_id,
    version_major: 2,
    version_minor: 0,
  });
  assert.equal(disp.content.data['text/plain'], 'IntSlider(value=5, min=0, max=100)');
  assert.equal(r.comm_info_after.comms[r.model_id].target_name, 'jupyter.widget');

  // A frontend update is echoed (protocol 2.1) under the comm_msg's parent, and the next cell sees it.
  assert.deepEqual(
    r.update_iopub.map((m: any) => m.msg_type),
    ['status', 'comm_msg', 'status'],
  );
  assert.deepEqual(r.update_iopub[1].content.data, { method: 'echo_update', state: { value: 42 }, buffer_paths: [] });
  assert.equal(r.value_after_update, '42\n');

  // Buffers, kernel -> frontend: raw frames, byte-exact.
  const payload: string = r.payload_hex;
  assert.equal(r.k2f_stderr, '');
  const custom = r.k2f.find((m: any) => m.msg_type === 'comm_msg');
  assert.deepEqual(custom.data, { method: 'custom', content: { kind: 'blob', n: payload.length / 2 } });
  assert.deepEqual(custom.buffers, [payload]);
  const img = r.k2f.find((m: any) => m.msg_type === 'comm_open' && m.data.state._model_name === 'ImageModel');
  assert.deepEqual(img.data.buffer_paths, [['value']]);
  assert.equal(img.data.state.value, null);
  assert.deepEqual(img.buffers, [payload.slice(0, 200)]);

  // Buffers, frontend -> kernel: custom message and a state update located by buffer_paths.
  const reversed = Buffer.from(payload, 'hex').reverse().toString('hex');
  assert.equal(r.f2k_custom, `${payload} ${reversed}`);
  assert.equal(r.f2k_state, `${payload} 64`);
  assert.deepEqual(r.f2k_update_iopub[1].buffers, [payload], 'the echo carries the buffer back');

  // Malformed / stray / oversized messages are dropped; the kernel keeps running.
  assert.deepEqual(r.alive_after_bad, { status: 'ok', stdout: '2\n' });
  assert.equal(r.oversized_ignored_got_len, '2', 'the oversized custom message did not reach the widget');

  // A comm message is handled while a cell awaits it: the cell resumes and prints under its own parent.
  assert.equal(r.await_reply, 'ok');
  assert.ok(r.await_exec_iopub.includes('stream:resumed with 99\n'), JSON.stringify(r.await_exec_iopub));
  assert.deepEqual(r.await_update_iopub, ['status', 'comm_msg', 'status']);

  // A throwing callback: its error goes to the stderr of the comm message; state still applied.
  assert.match(r.throwing_callback_stderr, /boom from callback/);
  assert.equal(r.value_after_throwing_callback, '7');

  // The control comm restores every live widget after a page reload.
  assert.equal(r.update_states.method, 'update_states');
  assert.ok(r.update_states.ids.includes(r.model_id));
  assert.equal(r.update_states.slider.model_name, 'IntSliderModel');
  assert.equal(r.update_states.slider.state.value, 7);
  assert.equal(r.update_states.buffer_paths.length, r.update_states.n_buffers);
  assert.ok(r.update_states.buffer_paths.some((p: string[]) => p[1] === 'state' && p[2] === 'value'));

  // tslab's completion, inspection and interrupt still work.
  assert.ok(r.complete.matches.includes('value'), JSON.stringify(r.complete));
  assert.equal(r.inspect.found, true);
  assert.match(r.inspect.data['text/plain'], /value: number/);
  assert.equal(r.interrupt_reply, 'error');
  assert.equal(r.after_interrupt, 'still alive');

  // No output or widget message was sent under a wrong parent.
  const stray = (r.stray ?? []).filter((m: any) => m.msg_type !== 'status');
  assert.deepEqual(stray, []);
});
