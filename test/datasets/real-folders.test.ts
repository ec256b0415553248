/**
 * Real folders as they are (issue 11): one file under several names, names that are not UTF-8,
 * formats this build cannot decode, dangling and looping symlinks, alpha-only drawings, ids that
 * break naive CSV columns, the pixel limit. Every folder is made here from real photos.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { scan, writeScanOutputs, type ScanResult } from '../../src/pipeline';
import { removeList, writeRemoveList, dedupCopy } from '../../src/export';
import { parseCsv, rowsFromDf } from '../../src/frame';
import { loadManifest } from '../../src/datasets/manifest';
import { decodePathBytes, decodeSegment, encodeSegment, fsPath } from '../../src/datasets/names';
import { DEFAULT_THRESHOLD } from '../../src/dedup/defaults';
import type { KeepPolicy, GroupMethod } from '../../src/dedup/groups';

const FIX = path.join(__dirname, '..', 'fixtures');
const PHOTO = (n: string) => path.join(FIX, 'imagededup', 'base_images', `ukbench${n}.jpg`);
const LATIN1 = Buffer.from('J\xe4rvenp\xe4\xe4.jpg', 'latin1');
const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main');

let tmp: string;
let cache: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-real-'));
  cache = path.join(tmp, 'cache');
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function mk(rel: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(p, { recursive: true });
  return p;
}
function put(root: string, rel: string, src: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.copyFileSync(src, path.join(root, rel));
}
const rowOf = (r: ScanResult, id: string) => {
  const i = r.ids.indexOf(id);
  assert.ok(i >= 0, `no row ${id} in ${r.ids.join(', ')}`);
  return i;
};
function runCli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', `require(${JSON.stringify(CLI)}).main(['node', 'neardup', ...process.argv.slice(1)]).then((c) => process.exit(c))`, ...args], {
    encoding: 'utf8',
  });
}

/**
 * A split tree where one photo has four names (the file, a symlink beside it, a symlink from the
 * other split, a hard link in the other split), plus byte copies, a near copy and unrelated photos.
 * Symlinks are relative so `cp -a` keeps them pointing inside the copy.
 */
async function makeAliasTree(root: string): Promise<void> {
  put(root, 'train/a/photo.jpg', PHOTO('00120'));
  fs.symlinkSync('photo.jpg', path.join(root, 'train/a/0_link_to_photo.jpg'));
  fs.mkdirSync(path.join(root, 'test/a'), { recursive: true });
  fs.symlinkSync('../../train/a/photo.jpg', path.join(root, 'test/a/link.jpg'));
  fs.linkSync(path.join(root, 'train/a/photo.jpg'), path.join(root, 'test/a/hard.jpg'));
  // A real byte copy of the photo (its own inode): a true duplicate of the aliased file.
  put(root, 'test/b/photo_copy.jpg', PHOTO('00120'));
  put(root, 'train/b/x.jpg', PHOTO('01380'));
  put(root, 'test/b/x_copy.jpg', PHOTO('01380'));
  fs.symlinkSync('x_copy.jpg', path.join(root, 'test/b/0_x_link.jpg'));
  await sharp(PHOTO('08976')).resize(300, 300).jpeg({ quality: 80 }).toFile(path.join(root, 'train/b/near_small.jpg'));
  put(root, 'test/a/near_big.jpg', PHOTO('08976'));
  put(root, 'train/a/other.jpg', PHOTO('08996'));
}

test('aliases: every keep policy and method leaves a readable copy of every group and every aliased file', async () => {
  const master = mk('alias-master');
  await makeAliasTree(master);
  const policies: Array<[string, KeepPolicy]> = [
    ['first', 'first'],
    ['largest', 'largest'],
    ['train', 'train'],
    ['test', 'test'],
    ['last (function)', (m) => m[m.length - 1]],
  ];
  for (const method of ['components', 'fiftyone'] as GroupMethod[]) {
    for (const [name, keep] of policies) {
      const work = path.join(tmp, `alias-${method}-${name.replace(/\W/g, '')}`);
      assert.equal(spawnSync('cp', ['-a', master, work]).status, 0);
      const r = await scan(work, { threshold: 0.9, keep, method, cacheDir: cache });
      const rows = rowsFromDf(r.samples);
      const what = `${method}/${name}`;
      // One file, four names: one canonical row, the first name that is not a symlink (the hard link
      // test/a/hard.jpg sorts before train/a/photo.jpg; both are the file itself), three aliases.
      for (const id of ['train/a/0_link_to_photo.jpg', 'test/a/link.jpg', 'train/a/photo.jpg']) {
        const row = rows[rowOf(r, id)];
        assert.equal(row.status, 'alias', `${what} ${id}`);
        assert.equal(row.alias_of, 'test/a/hard.jpg', `${what} ${id}`);
        assert.equal(row.keep, true, `${what} ${id}`);
        assert.equal(row.is_duplicate, false, `${what} ${id}`);
        assert.equal(row.group_id, -1, `${what} ${id}`);
      }
      assert.equal(rows[rowOf(r, 'test/b/0_x_link.jpg')].alias_of, 'test/b/x_copy.jpg', what);
      assert.equal(r.summary.aliases, 4, what);
      assert.equal(r.summary.skipped, 0, what);
      // The real byte copy is still found as a duplicate of the aliased file.
      assert.equal(r.groups.group_id[rowOf(r, 'test/a/hard.jpg')], r.groups.group_id[rowOf(r, 'test/b/photo_copy.jpg')], what);
      assert.ok(r.groups.group_id[rowOf(r, 'test/a/hard.jpg')] >= 0, what);

      // Delete exactly what the remove list (.txt, as a user would feed to xargs) names.
      const list = path.join(work + '-remove.txt');
      const entries = removeList(r.samples);
      assert.ok(entries.length >= 2, `${what}: ${entries.length} to remove`);
      for (const e of entries) assert.notEqual(rows[rowOf(r, e.id)].status, 'alias', `${what}: alias ${e.id} in the remove list`);
      await writeRemoveList(entries, list);
      const lines = fs.readFileSync(list).toString('utf8').split('\n').filter(Boolean);
      assert.equal(lines.length, entries.length);
      for (const l of lines) fs.unlinkSync(l);

      const readable = (i: number) => {
        try {
          fs.readFileSync(fsPath(r.dataset.pixels.kind === 'files' ? r.dataset.pixels.paths[i] : ''));
          return true;
        } catch {
          return false;
        }
      };
      const g = r.groups;
      for (let k = 0; k < g.keepers.length; k++) {
        const members = Array.from(g.members.subarray(g.offsets[k], g.offsets[k + 1]));
        assert.ok(members.some(readable), `${what}: group ${members.map((i) => r.ids[i])} has no readable copy left`);
        assert.ok(readable(g.keepers[k]), `${what}: kept ${r.ids[g.keepers[k]]} is gone`);
      }
      // Every alias set: a name still reads, or (its file was a duplicate) its group's kept copy does;
      // and every alias of a kept file still reads (no dangling link was made).
      const aliasOf = rows.map((x) => (x.alias_of == null ? -1 : rowOf(r, String(x.alias_of))));
      for (let c = 0; c < rows.length; c++) {
        const set = [c, ...aliasOf.flatMap((a, j) => (a === c ? [j] : []))];
        if (set.length === 1) continue;
        const keptCopy = g.group_id[c] >= 0 ? g.keepers[g.group_id[c]] : c;
        assert.ok(set.some(readable) || readable(keptCopy), `${what}: no readable copy of ${r.ids[c]} and its aliases`);
        if (g.keep[c] === 1) for (const j of set) assert.ok(readable(j), `${what}: ${r.ids[j]}, a name of kept ${r.ids[c]}, no longer reads`);
      }
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
});

test('names that are not UTF-8: listed, embedded, hashed and exported under a lossless id', async (t) => {
  const root = mk('latin1');
  const bytesPath = Buffer.concat([Buffer.from(root + '/'), LATIN1]);
  try {
    fs.copyFileSync(PHOTO('08976'), bytesPath);
  } catch (err) {
    t.skip(`this file system refuses names that are not UTF-8 (${(err as Error).message})`);
    return;
  }
  put(root, 'same_bytes.jpg', PHOTO('08976'));
  put(root, 'other.jpg', PHOTO('01380'));
  fs.symlinkSync('nowhere.jpg', path.join(root, 'dangling.jpg'));
  const r = await scan(root, { threshold: 0.9, cacheDir: cache });
  const id = 'J%E4rvenp%E4%E4.jpg';
  const i = rowOf(r, id);
  assert.equal(r.embeddings.status[i], 'ok', r.embeddings.reasons[i]);
  assert.ok(decodePathBytes(String(rowsFromDf(r.samples)[i].filepath)).equals(bytesPath));
  // Read and hashed: its bytes equal same_bytes.jpg's, so the exact pre-pass groups them.
  assert.equal(r.exact!.matchedBy[i], 'bytes');
  assert.equal(r.groups.group_id[i], r.groups.group_id[rowOf(r, 'same_bytes.jpg')]);

  const out = path.join(tmp, 'latin1-out');
  await writeScanOutputs(r, out);
  const copy = path.join(tmp, 'latin1-copy');
  // same_bytes.jpg sorts after the byte name, so keep 'first' keeps the Latin-1 file and removes it.
  const res = runCli(['export', out, '--copy-to', copy]);
  // The dangling link is a kept row that cannot be copied: reported, the rest written, exit code 1.
  assert.equal(res.status, 1, res.stderr);
  assert.match(res.stderr, /could not copy dangling\.jpg/);
  const written = fs.readdirSync(copy, { encoding: 'buffer' });
  assert.ok(written.some((n) => n.equals(LATIN1)), `copy holds ${written.map((n) => n.toString('latin1'))}`);
  assert.ok(fs.readFileSync(Buffer.concat([Buffer.from(copy + '/'), LATIN1])).equals(fs.readFileSync(PHOTO('08976'))));
  assert.ok(written.some((n) => n.toString() === 'other.jpg'));
  // The remove list as text names the file by its own bytes.
  const listed = runCli(['export', out, '--remove-list', path.join(tmp, 'latin1-remove.txt')]);
  assert.equal(listed.status, 0, listed.stderr);
  assert.ok(fs.readFileSync(path.join(tmp, 'latin1-remove.txt')).equals(Buffer.from(root + '/same_bytes.jpg\n')));
});

test('name encoding: one-to-one and lossless', () => {
  const names = [
    Buffer.from('photo.jpg'),
    Buffer.from('été 100%.jpg'),
    Buffer.from('a%41.jpg'),
    Buffer.from('a%2541.jpg'),
    LATIN1,
    Buffer.from([0x25, 0x34, 0x31, 0xff]),
    Buffer.from([0xe2, 0x82]), // a cut UTF-8 sequence
    Buffer.from([0xf0, 0x9f, 0x98, 0x80, 0xc0, 0xaf]), // emoji, then an overlong '/'
  ];
  const ids = names.map((n) => encodeSegment(n));
  assert.equal(new Set(ids).size, names.length, ids.join(' '));
  names.forEach((n, k) => assert.ok(decodeSegment(ids[k]).equals(n), `${ids[k]}`));
  assert.equal(ids[0], 'photo.jpg');
  assert.equal(ids[1], 'été 100%.jpg');
  assert.equal(ids[2], 'a%2541.jpg');
  assert.equal(ids[4], 'J%E4rvenp%E4%E4.jpg');
});

test('skip reasons name the real cause, and no image-named file goes missing', async () => {
  const root = mk('reasons');
  put(root, 'ok.jpg', PHOTO('00120'));
  put(root, 'photo.heic', path.join(FIX, 'formats', 'photo.heic'));
  put(root, 'photo.jp2', path.join(FIX, 'formats', 'photo.jp2'));
  fs.symlinkSync('missing.jpg', path.join(root, 'broken.jpg'));
  fs.symlinkSync('loop.png', path.join(root, 'loop.png'));
  const r = await scan(root, { cacheDir: cache });
  assert.deepEqual([...r.ids].sort(), ['broken.jpg', 'loop.png', 'ok.jpg', 'photo.heic', 'photo.jp2']);
  const reason = (id: string) => r.embeddings.reasons[rowOf(r, id)];
  assert.equal(r.embeddings.status[rowOf(r, 'ok.jpg')], 'ok');
  assert.match(reason('photo.heic'), /^HEIC image \(HEIF with HEVC compression\): this format is not supported by this build/);
  assert.match(reason('photo.jp2'), /^JPEG 2000 image: this format is not supported by this build/);
  assert.match(reason('broken.jpg'), /^broken symlink/);
  assert.match(reason('loop.png'), /^symlink loop/);
  // A path whose bytes were already lost to U+FFFD (a manifest written by another tool).
  const manifest = path.join(tmp, 'fffd.csv');
  fs.writeFileSync(manifest, `filepath\n${root}/J\uFFFDrvenp\uFFFD\uFFFD.jpg\n${root}/ok.jpg\n`);
  const m = await scan(await loadManifest(manifest), { cacheDir: cache, exact: false });
  assert.match(m.embeddings.reasons[0], /U\+FFFD/);
});

/** 128×128 PNG from an SVG body. */
function svgPng(body: string, file: string, opts: { flattenWhite?: boolean } = {}) {
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128">${body}</svg>`);
  const img = sharp(svg);
  return (opts.flattenWhite ? img.flatten({ background: '#ffffff' }).jpeg({ quality: 95 }) : img.png()).toFile(file);
}

test('transparency: alpha-only drawings stay apart; a transparent logo still matches its copy on white', async () => {
  const root = mk('alpha');
  await svgPng('<circle cx="64" cy="64" r="40" fill="none" stroke="white" stroke-width="8"/>', path.join(root, 'white_circle.png'));
  await svgPng('<path d="M20 20 L108 108 M108 20 L20 108" stroke="white" stroke-width="8"/>', path.join(root, 'white_cross.png'));
  await svgPng('<rect x="14" y="14" width="100" height="100" fill="none" stroke="white" stroke-width="8"/>', path.join(root, 'white_square.png'));
  const logo = '<path d="M20 100 L64 20 L108 100 Z" fill="#1a237e"/><circle cx="64" cy="72" r="14" fill="#c62828"/>';
  await svgPng(logo, path.join(root, 'logo.png'));
  await svgPng(logo, path.join(root, 'logo_on_white.jpg'), { flattenWhite: true });
  const r = await scan(root, { cacheDir: cache });
  const sim = (a: string, b: string) => {
    const i = rowOf(r, a);
    const j = rowOf(r, b);
    const { k, indices, scores } = r.neighbors;
    for (let q = 0; q < k; q++) if (indices[i * k + q] === j) return scores[i * k + q];
    return -1;
  };
  const strokes = ['white_circle.png', 'white_cross.png', 'white_square.png'];
  for (const a of strokes) {
    for (const b of strokes) {
      if (a === b) continue;
      assert.ok(sim(a, b) < 0.9, `${a} vs ${b}: ${sim(a, b)}`);
      assert.ok(r.groups.group_id[rowOf(r, a)] < 0 || r.groups.group_id[rowOf(r, a)] !== r.groups.group_id[rowOf(r, b)], `${a} grouped with ${b}`);
    }
  }
  assert.ok(sim('logo.png', 'logo_on_white.jpg') >= DEFAULT_THRESHOLD, `logo: ${sim('logo.png', 'logo_on_white.jpg')}`);
  assert.ok(r.groups.group_id[rowOf(r, 'logo.png')] >= 0);
  assert.equal(r.groups.group_id[rowOf(r, 'logo.png')], r.groups.group_id[rowOf(r, 'logo_on_white.jpg')]);
});

test('exports read back losslessly whatever the ids hold', async (t) => {
  const root = mk('odd-ids');
  const odd = ['a|b.jpg', 'c,d.jpg', 'e"f.jpg', 'g\nh.jpg', "i'j;k.jpg"];
  for (const n of odd) put(root, n, PHOTO('09012'));
  let latin = false;
  try {
    fs.copyFileSync(PHOTO('09012'), Buffer.concat([Buffer.from(root + '/'), LATIN1]));
    latin = true;
  } catch {
    t.diagnostic('file system refuses non-UTF-8 names: tested without one');
  }
  put(root, 'plain.jpg', PHOTO('09040'));
  const r = await scan(root, { cacheDir: cache });
  const out = path.join(tmp, 'odd-out');
  await writeScanOutputs(r, out);
  const groups = parseCsv(fs.readFileSync(path.join(out, 'groups.csv'), 'utf8'));
  assert.deepEqual(groups.columns, ['group_id', 'size', 'keep_id', 'members']);
  assert.equal(groups.rows.length, 1);
  const members = JSON.parse(groups.rows[0].members) as string[];
  const expected = [...odd, ...(latin ? ['J%E4rvenp%E4%E4.jpg'] : [])];
  assert.deepEqual([...members].sort(), [...expected].sort());
  assert.equal(Number(groups.rows[0].size), members.length);
  assert.ok(members.includes(groups.rows[0].keep_id));
  const samples = parseCsv(fs.readFileSync(path.join(out, 'samples.csv'), 'utf8'));
  assert.deepEqual(samples.rows.map((x) => x.id), [...r.ids]);
  const dup = parseCsv(fs.readFileSync(path.join(out, 'duplicates.csv'), 'utf8'));
  for (const p of dup.rows) assert.ok(r.ids.includes(p.a) && r.ids.includes(p.b), JSON.stringify(p));
  const exact = parseCsv(fs.readFileSync(path.join(out, 'exact_duplicates.csv'), 'utf8'));
  assert.deepEqual(exact.rows.map((x) => x.id).sort(), [...expected].sort());
  // The remove list as CSV and JSON round-trips too (a .txt refuses the id with a newline).
  const csv = path.join(tmp, 'odd-remove.csv');
  const json = path.join(tmp, 'odd-remove.json');
  const entries = removeList(r.samples);
  await writeRemoveList(entries, csv);
  await writeRemoveList(entries, json);
  assert.deepEqual(parseCsv(fs.readFileSync(csv, 'utf8')).rows.map((x) => x.id), entries.map((e) => e.id));
  assert.deepEqual(JSON.parse(fs.readFileSync(json, 'utf8')), entries);
  await assert.rejects(writeRemoveList(entries, path.join(tmp, 'odd-remove.txt')), /newline/);
  // dedupCopy of the same rows: every kept file lands under its own (decoded) name.
  const res = await dedupCopy(
    rowsFromDf(r.samples).map((x) => ({ rel: String(x.id), source: String(x.filepath), keep: x.keep === true, alias: x.status === 'alias' })),
    { inputRoot: root, outDir: path.join(tmp, 'odd-copy') },
  );
  assert.deepEqual(res.failed, []);
  assert.equal(res.written, 2);
});

test('maxPixels: settable from scan() and neardup scan --max-pixels', async () => {
  const root = mk('big');
  await sharp(PHOTO('00120')).resize(200, 150).toFile(path.join(root, 'big.png')); // 30,000 px
  await sharp(PHOTO('01380')).resize(100, 75).toFile(path.join(root, 'small.jpg')); // 7,500 px
  const limited = await scan(root, { cacheDir: cache, maxPixels: 20_000 });
  const reason = limited.embeddings.reasons[rowOf(limited, 'big.png')];
  assert.match(reason, /^image is 200x150 \(0\.030 Mpx\), over the 0\.020 Mpx decompression-bomb limit$/);
  assert.equal(limited.embeddings.status[rowOf(limited, 'small.jpg')], 'ok');
  const raised = await scan(root, { cacheDir: cache, maxPixels: 40_000 });
  assert.deepEqual(raised.embeddings.status, ['ok', 'ok']);
  await assert.rejects(scan(root, { cacheDir: cache, maxPixels: 0 }), /maxPixels/);
  const out = path.join(tmp, 'big-out');
  const res = runCli(['scan', root, '--out', out, '--max-pixels', '0.02', '--no-cache', '-q']);
  assert.equal(res.status, 0, res.stderr);
  const rows = parseCsv(fs.readFileSync(path.join(out, 'samples.csv'), 'utf8')).rows;
  assert.match(rows.find((x) => x.id === 'big.png')!.reason, /decompression-bomb limit/);
  assert.equal(rows.find((x) => x.id === 'small.jpg')!.status, 'ok');
});

test('a lone embedded image has uniqueness 1, a skipped one none', async () => {
  const root = mk('lone');
  put(root, 'only.jpg', PHOTO('00120'));
  fs.writeFileSync(path.join(root, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x00]));
  const r = await scan(root, { cacheDir: cache });
  const rows = rowsFromDf(r.samples);
  assert.equal(rows[rowOf(r, 'only.jpg')].uniqueness, 1);
  assert.equal(rows[rowOf(r, 'broken.jpg')].uniqueness, null);
});

test('aliases in a manifest: the same file listed under two ids, and a symlink, are one file', async () => {
  const root = mk('manifest-alias');
  put(root, 'photo.jpg', PHOTO('00120'));
  put(root, 'copy.jpg', PHOTO('00120'));
  fs.symlinkSync('photo.jpg', path.join(root, 'link.jpg'));
  const manifest = path.join(tmp, 'manifest-alias.csv');
  fs.writeFileSync(manifest, `id,filepath\nlink,${root}/link.jpg\nagain,${root}/photo.jpg\nphoto,${root}/photo.jpg\ncopy,${root}/copy.jpg\n`);
  const r = await scan(await loadManifest(manifest), { cacheDir: cache, threshold: 0.9 });
  const rows = rowsFromDf(r.samples);
  // The first name that is not a symlink is canonical: `again`.
  assert.deepEqual(rows.map((x) => [x.id, x.status, x.alias_of]), [
    ['link', 'alias', 'again'],
    ['again', 'ok', null],
    ['photo', 'alias', 'again'],
    ['copy', 'ok', null],
  ]);
  // The real copy (its own inode) is the only duplicate; no name of photo.jpg is ever removed.
  assert.deepEqual(removeList(r.samples).map((e) => e.id), ['copy']);
});
