/**
 * Sharded runs through the real CLI (bin/neardup.js; `npm run build` first) with plain `xargs -P`:
 * three embedding shards into a store, one of them killed half-way and rerun (it embeds only the
 * rows it had not written), sharded exact search, merge; the merged result equals an unsharded
 * `neardup scan` of the same samples. Run twice: a local folder store, and `s3://` on a real
 * S3-compatible server (SeaweedFS `weed mini`, started here by scripts/s3-server.sh on localhost;
 * `.ci/run` installs it with `scripts/s3-server.sh install`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { parseCsv } from '../../src/frame';
import { readStore, openStore } from '../../src/store';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'neardup.js');
const S3_SCRIPT = path.join(ROOT, 'scripts', 's3-server.sh');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The whole sharded path against `store` (a folder or an s3:// URI reachable with `env`), checked
 * against an unsharded scan of the same `limit` samples.
 */
async function shardedEqualsUnsharded(store: string, limit: number, tmp: string, env: NodeJS.ProcessEnv) {
  const node = process.execPath;
  const per = Math.floor(limit / 3);
  const chunk = Math.max(10, Math.floor(per / 4));
  // Shard 1 of 3 alone first, killed (SIGKILL) once it reports its first committed chunk.
  const child = spawn(node, [BIN, 'embed', 'sample', '--limit', String(limit), '--store', store, '--shard', '1/3', '--chunk', String(chunk)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((res) => child.once('exit', res));
  let killed = false;
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    // Progress line `shard 1/3: d/t rows` is printed after a chunk's commit.
    if (!killed && /shard 1\/3: \d+\/\d+ rows/.test(err)) {
      killed = child.kill('SIGKILL');
    }
  });
  const code = await exited;
  assert.ok(killed, `shard 1 finished before it could be killed (exit ${code}): ${err}`);

  // All shards through xargs -P 2; shard 1 resumes.
  const embedAll = `seq 0 2 | xargs -P 2 -I{} "${node}" "${BIN}" embed sample --limit ${limit} --store "${store}" --shard {}/3 --chunk ${chunk} -q`;
  const out = run('sh', ['-c', embedAll], env);
  const resumed = new RegExp(`shard 1/3: rows ${per}-${2 * per}, (\\d+) already in the store, (\\d+) embedded now`).exec(out);
  assert.ok(resumed, out);
  assert.ok(Number(resumed[1]) >= chunk && Number(resumed[1]) < per, `rows kept from the killed run: ${resumed[1]}`);
  assert.equal(Number(resumed[1]) + Number(resumed[2]), per);
  // Idempotent: a second run of every shard embeds nothing.
  const again = run('sh', ['-c', embedAll], env);
  assert.equal((again.match(/0 embedded now/g) ?? []).length, 3, again);

  run('sh', ['-c', `seq 0 2 | xargs -P 2 -I{} "${node}" "${BIN}" search --store "${store}" --shard {}/3`], env);
  run(node, [BIN, 'merge', 'sample', '--limit', String(limit), '--store', store, '--shards', '3', '--out', path.join(tmp, 'merged')], env);
  run(node, [BIN, 'scan', 'sample', '--limit', String(limit), '--out', path.join(tmp, 'single'), '-q'], env);
  // A later scan pointed at the store reads the merged embeddings and lists back (no embedding, no search).
  run(node, [BIN, 'scan', 'sample', '--limit', String(limit), '--store', store, '--out', path.join(tmp, 'fromstore'), '-q'], { ...env, NEARDUP_CACHE: path.join(tmp, 'cache-unused') });

  const read = (dir: string) => ({
    summary: JSON.parse(fs.readFileSync(path.join(tmp, dir, 'summary.json'), 'utf8')),
    samples: parseCsv(fs.readFileSync(path.join(tmp, dir, 'samples.csv'), 'utf8')).rows,
  });
  const a = read('merged');
  const b = read('single');
  for (const key of ['samples', 'embedded', 'flagged', 'groups', 'to_remove', 'exact_duplicates', 'threshold', 'model']) {
    assert.deepEqual(a.summary[key], b.summary[key], key);
  }
  assert.equal(a.summary.search.backend, 'exact');
  const c = read('fromstore');
  assert.deepEqual(c.summary.store, { uri: store, read: true });
  for (const key of ['samples', 'embedded', 'flagged', 'groups', 'to_remove', 'threshold', 'model', 'search']) assert.deepEqual(c.summary[key], a.summary[key], `scan --store: ${key}`);
  assert.ok(!fs.existsSync(path.join(tmp, 'cache-unused', 'embeddings')), 'nothing embedded by the scan that read the store');
  assert.ok(a.summary.flagged > 0, 'the samples hold near-duplicates');
  assert.equal(a.samples.length, b.samples.length);
  for (let i = 0; i < a.samples.length; i++) {
    const x = a.samples[i];
    const y = b.samples[i];
    for (const col of ['id', 'nearest_id', 'is_duplicate', 'duplicate_of', 'group_id']) assert.equal(x[col], y[col], `row ${i} ${col}`);
    // Sharded exact scores are float64 dots rounded to float32; the unsharded GEMM's differ in the last bits.
    assert.ok(Math.abs(Number(x.max_similarity) - Number(y.max_similarity)) < 1e-5, `row ${i} max_similarity`);
  }
  return a;
}

test('xargs -P sharded embed (one shard killed half-way, rerun) + search + merge = unsharded scan (folder store)', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-shard-'));
  const store = path.join(tmp, 'store');
  // Own embedding cache: the killed shard must really be embedding (not reading a warm cache).
  const env = { ...process.env, NEARDUP_CACHE: path.join(tmp, 'cache') };
  await shardedEqualsUnsharded(store, 600, tmp, env);
  // The merged tables are in the store for a later scan, the explorer or the export.
  assert.ok(fs.existsSync(path.join(store, 'samples.lance')) && fs.existsSync(path.join(store, 'neighbors.lance')));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const weed = spawnSync('bash', [S3_SCRIPT, 'path'], { encoding: 'utf8' });
const haveWeed = weed.status === 0;
// In CI the server must be there (.ci/run installs it): a missing binary fails there instead of skipping.
const skipS3 = !haveWeed && !process.env.CI ? 'SeaweedFS weed not installed (scripts/s3-server.sh install)' : false;

test('the same sharded run against s3:// on a real S3-compatible server (SeaweedFS on localhost)', { skip: skipS3 }, async () => {
  assert.ok(haveWeed, 'weed is not installed: run scripts/s3-server.sh install (.ci/run does)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-s3-'));
  const serverDir = path.join(tmp, 'server');
  // A port of this process's own (17000–18999, gRPC +10000) so parallel runs do not meet.
  const port = 17000 + (process.pid % 400) * 5;
  try {
    const started = spawnSync('bash', [S3_SCRIPT, 'start', serverDir, String(port)], { encoding: 'utf8', timeout: 180_000 });
    assert.equal(started.status, 0, `${started.stdout}\n${started.stderr}`);
    const s3env: Record<string, string> = {};
    for (const m of started.stdout.matchAll(/^export (\w+)=(.*)$/gm)) s3env[m[1]] = m[2];
    assert.ok(s3env.AWS_ENDPOINT_URL, started.stdout);
    const env = { ...process.env, ...s3env, NEARDUP_CACHE: path.join(tmp, 'cache') };
    const store = `s3://${s3env.NEARDUP_S3_BUCKET}/run-${process.pid}/store`;

    const merged = await shardedEqualsUnsharded(store, 300, tmp, env);

    // Nothing was written locally; the server holds the tables: the merged scan reads back from it.
    const storageOptions = { aws_endpoint: s3env.AWS_ENDPOINT_URL, allow_http: 'true', aws_access_key_id: s3env.AWS_ACCESS_KEY_ID, aws_secret_access_key: s3env.AWS_SECRET_ACCESS_KEY, aws_region: s3env.AWS_REGION };
    const names = await (await openStore(store, { storageOptions })).tableNames();
    for (const t of ['emb_0_of_3', 'emb_1_of_3', 'emb_2_of_3', 'nbr_0_of_3', 'samples', 'neighbors', 'meta']) assert.ok(names.includes(t), `${t} in ${names}`);
    const back = await readStore(store, { storageOptions });
    assert.equal(back.embeddings.ids.length, 300);
    assert.deepEqual(back.embeddings.ids, merged.samples.map((r) => r.id));
    assert.equal(back.neighbors.indices[0 * back.neighbors.k] >= 0, true);
    // Wrong credentials are refused by the server, with the store named in the error.
    const bad = spawnSync(process.execPath, [BIN, 'search', '--store', store, '--shard', '0/3'], { env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' }, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, new RegExp(store.replace(/[/.]/g, '\\$&')));
  } finally {
    spawnSync('bash', [S3_SCRIPT, 'stop', serverDir], { encoding: 'utf8' });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
