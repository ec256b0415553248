import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { exportSamples, removeList, writeRemoveList, dedupCopy, type CopyItem } from '../../src/export';
import { dfFromRows, parseCsv } from '../../src/frame';

const FIX = path.join(__dirname, '..', 'fixtures', 'imagededup');
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), `neardup-${p}-`));

/** sha256 + mtime of every file under dir, for "untouched" checks. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), `${createHash('sha256').update(fs.readFileSync(p)).digest('hex')} ${fs.statSync(p).mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

test('CSV and JSON exports keep commas, quotes and newlines in labels and paths', async () => {
  const dir = tmp('csv');
  try {
    const rows = [
      { id: 'a,b.jpg', filepath: '/data/with "quotes"/a,b.jpg', label_name: 'cat, tabby', is_duplicate: true, keep: false, group_id: 0 },
      { id: 'line\nbreak.png', filepath: '/data/line\nbreak.png', label_name: 'say "hi"', is_duplicate: false, keep: true, group_id: 0 },
      { id: 'plain.png', filepath: '/data/plain.png', label_name: null, is_duplicate: false, keep: true, group_id: -1 },
    ];
    const df = dfFromRows(rows);
    assert.equal(await exportSamples(df, path.join(dir, 'all.csv')), 3);
    const back = parseCsv(fs.readFileSync(path.join(dir, 'all.csv'), 'utf8'));
    assert.deepEqual(back.columns, ['id', 'filepath', 'label_name', 'is_duplicate', 'keep', 'group_id']);
    assert.deepEqual(back.rows.map((r) => [r.id, r.filepath, r.label_name]), rows.map((r) => [r.id, r.filepath, r.label_name ?? '']));
    assert.equal(await exportSamples(df, path.join(dir, 'flagged.json'), { filter: 'flagged' }), 2);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'flagged.json'), 'utf8'));
    assert.deepEqual(json.map((r: { filepath: string }) => r.filepath), [rows[0].filepath, rows[1].filepath]);

    const remove = removeList(df);
    assert.deepEqual(remove.map((r) => r.id), ['a,b.jpg']);
    await writeRemoveList(remove, path.join(dir, 'remove.csv'));
    assert.equal(parseCsv(fs.readFileSync(path.join(dir, 'remove.csv'), 'utf8')).rows[0].filepath, rows[0].filepath);
    await writeRemoveList(remove, path.join(dir, 'remove.txt'));
    assert.equal(fs.readFileSync(path.join(dir, 'remove.txt'), 'utf8'), `${rows[0].filepath}\n`);
    await assert.rejects(
      writeRemoveList([{ id: 'x', filepath: '/data/line\nbreak.png', duplicate_of: null }], path.join(dir, 'bad.txt')),
      /contains a newline.*\.csv/,
    );
    // Atomic writes leave no temp files behind.
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.')), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function makeTree(): { root: string; items: CopyItem[] } {
  const root = tmp('in');
  const files = [
    ['train/cat/a.jpg', 'base_images/ukbench00120.jpg', true],
    ['train/cat/a_copy.jpg', 'base_images/ukbench00120.jpg', false],
    ['test/dog/b.jpg', 'base_images/ukbench09268.jpg', true],
    ['test/dog/c.jpg', 'base_images/ukbench09380.jpg', true],
  ] as const;
  const items: CopyItem[] = [];
  for (const [rel, src, keep] of files) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.copyFileSync(path.join(FIX, src), path.join(root, rel));
    items.push({ rel, source: path.join(root, rel), keep });
  }
  return { root, items };
}

test('dedup copy keeps the tree, leaves originals untouched, resumes, and dry-runs without writing', async () => {
  const { root, items } = makeTree();
  const outParent = tmp('out');
  const out = path.join(outParent, 'clean');
  try {
    const before = snapshot(root);
    const dry = await dedupCopy(items, { inputRoot: root, outDir: out, dryRun: true });
    assert.equal(dry.actions.length, 3);
    assert.deepEqual(dry.leftOut, ['train/cat/a_copy.jpg']);
    assert.equal(fs.existsSync(out), false, 'dry run wrote nothing');

    const r = await dedupCopy(items, { inputRoot: root, outDir: out });
    assert.equal(r.written, 3);
    assert.deepEqual([...snapshot(out).keys()].sort(), ['test/dog/b.jpg', 'test/dog/c.jpg', 'train/cat/a.jpg']);
    assert.equal(snapshot(out).get('train/cat/a.jpg')!.split(' ')[0], before.get('train/cat/a.jpg')!.split(' ')[0]);
    assert.deepEqual(snapshot(root), before, 'originals untouched (bytes and mtimes)');

    // Running again finds everything in place.
    const again = await dedupCopy(items, { inputRoot: root, outDir: out });
    assert.equal(again.written, 0);
    assert.ok(again.actions.every((a) => a.action === 'exists'));
    // A different file in the way is never overwritten: that row fails with its reason, the others stand.
    fs.writeFileSync(path.join(out, 'test/dog/c.jpg'), 'other');
    const blocked = await dedupCopy(items, { inputRoot: root, outDir: out });
    assert.deepEqual(blocked.failed.map((f) => f.rel), ['test/dog/c.jpg']);
    assert.match(blocked.failed[0].reason, /already exists and differs/);
    assert.equal(blocked.actions.length, 2);
    assert.equal(fs.readFileSync(path.join(out, 'test/dog/c.jpg'), 'utf8'), 'other');

    const linked = path.join(outParent, 'linked');
    await dedupCopy(items, { inputRoot: root, outDir: linked, mode: 'hardlink' });
    assert.equal(fs.statSync(path.join(linked, 'test/dog/b.jpg')).ino, fs.statSync(path.join(root, 'test/dog/b.jpg')).ino);
    assert.deepEqual(snapshot(root), before);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outParent, { recursive: true, force: true });
  }
});

test('dedup copy refuses path traversal and output folders overlapping the input', async () => {
  const { root, items } = makeTree();
  const outParent = tmp('out');
  const out = path.join(outParent, 'clean');
  try {
    const before = snapshot(root);
    // An unsafe id is refused (listed in `failed`), and only that row: the safe ones are written.
    for (const rel of ['../escape.jpg', 'train/../../escape.jpg', '/etc/passwd', '..\\escape.jpg']) {
      const bad = [{ rel, source: items[0].source, keep: true }, ...items];
      const dry = await dedupCopy(bad, { inputRoot: root, outDir: out, dryRun: true });
      assert.equal(dry.failed.length, 1, rel);
      assert.match(dry.failed[0].reason, /refusing/, rel);
      assert.equal(fs.existsSync(out), false, 'a dry run writes nothing');
      const res = await dedupCopy(bad, { inputRoot: root, outDir: out });
      assert.deepEqual(res.failed.map((f) => f.rel), [rel]);
      assert.equal(res.actions.length, items.filter((i) => i.keep).length, rel);
      fs.rmSync(out, { recursive: true, force: true });
    }
    assert.equal(fs.existsSync(path.join(outParent, 'escape.jpg')), false);
    assert.equal(fs.existsSync('/escape.jpg'), false);
    // A source outside the input folder is refused too.
    const outside = [{ rel: 'x.jpg', source: path.join(FIX, 'base_images', 'ukbench00120.jpg'), keep: true }];
    const outRes = await dedupCopy(outside, { inputRoot: root, outDir: out, dryRun: true });
    assert.match(outRes.failed[0].reason, /outside the input folder/);
    await assert.rejects(dedupCopy(items, { inputRoot: root, outDir: root }), /is the input folder/);
    await assert.rejects(dedupCopy(items, { inputRoot: root, outDir: path.join(root, 'clean') }), /inside the input folder/);
    await assert.rejects(dedupCopy(items, { inputRoot: root, outDir: path.dirname(root) }), /contains the input folder/);
    // A symlink in the output pointing into the input is not followed.
    fs.mkdirSync(out, { recursive: true });
    fs.symlinkSync(path.join(root, 'train'), path.join(out, 'train'));
    const viaLink = await dedupCopy(items, { inputRoot: root, outDir: out });
    assert.ok(viaLink.failed.length > 0);
    for (const f of viaLink.failed) assert.match(f.reason, /refusing|already exists/);
    assert.ok(viaLink.failed.every((f) => f.rel.startsWith('train/')));
    assert.deepEqual(snapshot(root), before);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outParent, { recursive: true, force: true });
  }
});
