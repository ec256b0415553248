// `neardup embed` and `neardup model ...` as a user runs them: outputs on disk and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { parse } from 'csv-parse/sync';

const ROOT = resolve(__dirname, '../..');
const FIX = join(ROOT, 'test/fixtures/imagededup');

function neardup(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "require('./src/cli/main').main(['node', 'neardup', ...process.argv.slice(1)]).then((c) => process.exit(c))", ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NEARDUP_CACHE: mkdtempSync(join(tmpdir(), 'neardup-cli-cache-')) },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('neardup embed writes embeddings.f32, embeddings.json and samples.csv; the corrupt file is skipped', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'neardup-cli-')), 'out');
  const r = neardup('embed', join(FIX, 'mixed_images'), '--out', out, '--batch', '4');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /6 samples: 5 embedded \(0 from cache\), 1 skipped/);
  const meta = JSON.parse(readFileSync(join(out, 'embeddings.json'), 'utf8'));
  assert.deepEqual(meta.shape, [6, 1280]);
  assert.equal(meta.dtype, 'float32');
  assert.equal(statSync(join(out, 'embeddings.f32')).size, 6 * 1280 * 4);
  const rows = parse(readFileSync(join(out, 'samples.csv')), { columns: true }) as Array<Record<string, string>>;
  assert.deepEqual(rows.map((r) => r.id), meta.ids);
  const buf = readFileSync(join(out, 'embeddings.f32'));
  rows.forEach((row, i) => {
    let n = 0;
    for (let k = 0; k < 1280; k++) n += buf.readFloatLE((i * 1280 + k) * 4) ** 2;
    if (row.id === 'ukbench09268_corrupt.jpg') {
      assert.deepEqual([row.status, row.reason, n], ['skipped', 'unsupported or unrecognised image format', 0]);
    } else {
      assert.equal(row.status, 'ok');
      assert.ok(Math.abs(n - 1) < 1e-4);
    }
  });
  assert.ok(!existsSync(join(out, '.embeddings.f32.tmp')), 'no temp files left');
});

test('neardup model add-embedding writes a model that runs at 224 and 128 px', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'neardup-cli-')), 'm.onnx');
  const r = neardup('model', 'add-embedding', join(ROOT, 'models/mobilenetv2-12-int8.onnx'), '--tensor', '627', '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /outputs: output, embedding/);
  assert.match(r.stdout, /224x224 px: embedding \[2, 1280\]/);
  assert.match(r.stdout, /128x128 px: embedding \[2, 1280\]/);
});

test('neardup model dequantize writes a float model that classifies like the int8 one; the source is untouched', () => {
  const src = join(ROOT, 'models/mobilenetv2-12-int8-gem.onnx');
  const before = readFileSync(src);
  const out = join(mkdtempSync(join(tmpdir(), 'neardup-cli-')), 'float.onnx');
  const r = neardup('model', 'dequantize', src, '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /inputs: input; outputs: output, embedding/);
  assert.ok(statSync(out).size > 3 * before.length, 'float weights take four bytes each');
  assert.deepEqual(readFileSync(src), before);
  const c = neardup('model', 'classify', '--model', out, join(FIX, 'base_images/ukbench09012.jpg'), '-k', '1');
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /%\s+acoustic guitar/);
  const same = neardup('model', 'dequantize', src, '-o', src);
  assert.notEqual(same.code, 0);
  assert.match(same.stderr, /must differ from the input model/);
});

test('bad arguments give one clear line naming the argument, a non-zero exit and no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neardup-cli-'));
  const folder = join(FIX, 'base_images');
  const cases: Array<[string[], RegExp]> = [
    [['embed', folder], /required option '-o, --out <dir>' not specified/],
    [['embed', folder, '--out', dir, '--size', '8'], /--size <px>.*expected an integer from 16 to 1024, got '8'/],
    [['embed', folder, '--out', dir, '--batch', 'lots'], /--batch <n>.*got 'lots'/],
    [['embed', folder, '--out', dir, '--model', join(dir, 'nope.onnx')], /--model .*nope\.onnx: file not found/],
    [['embed', join(dir, 'no-such-folder'), '--out', dir], /no-such-folder/],
    [['model', 'add-embedding', join(ROOT, 'models/mobilenetv2-12-int8.onnx'), '--tensor', 'nope', '-o', join(dir, 'x.onnx')], /--tensor nope: no tensor of that name/],
    [['model', 'add-embedding', join(ROOT, 'models/mobilenetv2-12-int8.onnx'), '--tensor', '627', '-o', join(ROOT, 'models/mobilenetv2-12-int8.onnx')], /--out .*must differ from the input model/],
    [['model', 'add-embedding', join(dir, 'missing.onnx'), '--tensor', '627', '-o', join(dir, 'x.onnx')], /missing\.onnx: file not found/],
  ];
  for (const [args, re] of cases) {
    const r = neardup(...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, re, `${args.join(' ')}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'stack trace printed');
  }
  assert.ok(!existsSync(join(dir, 'x.onnx')));
  for (const args of [['embed', '--help'], ['model', 'add-embedding', '--help']]) {
    const r = neardup(...args);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: neardup/);
  }
});

test('neardup embed embeds image files as neardup scan does (the content view), and as they are with --no-content-view', async () => {
  const sharp = (await import('sharp')).default;
  const { writeFileSync } = await import('node:fs');
  const { scan } = await import('../../src/pipeline/scan');
  const dir = mkdtempSync(join(tmpdir(), 'neardup-embed-view-'));
  const photo = join(FIX, 'base_images', 'ukbench00120.jpg');
  const m = await sharp(photo).metadata();
  const side = Math.max(m.width!, m.height!);
  const top = Math.floor((side - m.height!) / 2);
  writeFileSync(join(dir, 'photo.jpg'), await sharp(photo).jpeg({ quality: 95 }).toBuffer());
  // Black bars above and below (the benchmark's letterbox kind): the content view embeds the picture inside them.
  writeFileSync(join(dir, 'photo__letterbox.jpg'), await sharp(photo).extend({ top, bottom: side - m.height! - top, left: 0, right: side - m.width!, background: '#000000' }).jpeg({ quality: 95 }).toBuffer());
  const read = (out: string) => {
    const meta = JSON.parse(readFileSync(join(out, 'embeddings.json'), 'utf8'));
    const buf = readFileSync(join(out, 'embeddings.f32'));
    const row = (id: string) => Float32Array.from({ length: 1280 }, (_, k) => buf.readFloatLE((meta.ids.indexOf(id) * 1280 + k) * 4));
    return { meta, row };
  };
  const base = mkdtempSync(join(tmpdir(), 'neardup-embed-view-out-'));
  assert.equal(neardup('embed', dir, '--out', join(base, 'view'), '-q').code, 0);
  assert.equal(neardup('embed', dir, '--out', join(base, 'plain'), '-q', '--no-content-view').code, 0);
  const view = read(join(base, 'view'));
  const plain = read(join(base, 'plain'));
  assert.equal(view.meta.content_view, true);
  assert.equal(plain.meta.content_view, false);
  const scanned = await scan(dir, { cacheDir: false, verify: false });
  const ids = [...scanned.ids];
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, k) => s + x * b[k], 0);
  for (const id of ['photo.jpg', 'photo__letterbox.jpg']) {
    const s = scanned.embeddings.vectors.subarray(ids.indexOf(id) * 1280, (ids.indexOf(id) + 1) * 1280);
    assert.ok(dot(view.row(id), s) > 0.9999, `${id}: neardup embed gives the scan's vector`);
  }
  // The photo without fill embeds the same either way; the letterboxed copy does not.
  assert.ok(dot(view.row('photo.jpg'), plain.row('photo.jpg')) > 0.9999);
  assert.ok(dot(view.row('photo__letterbox.jpg'), plain.row('photo__letterbox.jpg')) < 0.999, 'the content view changes the letterboxed copy');
});
