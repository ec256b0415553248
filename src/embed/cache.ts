/**
 * On-disk embedding cache, so reruns are instant and an interrupted run resumes.
 *
 * Layout: `<root>/<key>/chunk-*.bin`, where `<key>` hashes the model file's sha256 together with
 * the preprocessing (input size, mean/std, layout, output), so a different model or size never
 * reads stale vectors. Within it, each vector is addressed by its sample's content hash (the
 * encoded file's bytes, or the raw pixels of an array image), so renamed or re-ordered files
 * still hit and an edited file misses.
 *
 * Vectors are appended in chunks, each written atomically (temp file + rename): a crash loses at
 * most the chunk being filled, never corrupts the ones already written.
 *
 * Chunk format (little-endian): magic `NDEMB001`, uint32 dim, uint32 count, count x 16-byte keys,
 * count x dim float32 vectors.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../frame/atomic';
import { cacheRoot } from '../cache-root';

const MAGIC = Buffer.from('NDEMB001');
const KEY_BYTES = 16;
const CACHE_FORMAT = 1;

/** `$NEARDUP_CACHE/embeddings`, or `~/.cache/neardup/embeddings` (see {@link cacheRoot}). */
export function defaultEmbeddingCacheDir(): string {
  return join(cacheRoot(), 'embeddings');
}

/** 16-byte content key of a sample (sha256 prefix), as hex. */
export function contentKey(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 2 * KEY_BYTES);
}

interface Entry { file: string; index: number; }

/** One model+preprocessing's cache directory. */
export class EmbeddingCache {
  readonly dir: string;
  private index = new Map<string, Entry>();
  private counts = new Map<string, number>();
  private pending: Array<{ key: string; vec: Float32Array }> = [];
  private fds = new Map<string, number>();
  private seq = 0;

  /**
   * @param root cache root (see {@link defaultEmbeddingCacheDir})
   * @param modelSha256 sha256 of the model file
   * @param preprocessing preprocessing fingerprint (see EmbeddingModel.preprocessing)
   * @param dim embedding dimension; chunks of another dimension are ignored
   * @param chunkRows vectors per chunk file
   */
  constructor(root: string, readonly modelSha256: string, readonly preprocessing: string, readonly dim: number, readonly chunkRows = 2048) {
    const key = createHash('sha256').update(`neardup-embeddings v${CACHE_FORMAT}\n${modelSha256}\n${preprocessing}`).digest('hex').slice(0, 24);
    this.dir = join(root, key);
    mkdirSync(this.dir, { recursive: true });
    const meta = join(this.dir, 'cache.json');
    if (!existsSync(meta)) {
      writeFileSync(meta, JSON.stringify({ format: CACHE_FORMAT, model_sha256: modelSha256, preprocessing, dim }, null, 2) + '\n');
    }
    this.loadIndex();
  }

  /** Reads every chunk's header and keys (not the vectors). */
  private loadIndex(): void {
    for (const name of readdirSync(this.dir).sort()) {
      if (!name.startsWith('chunk-') || !name.endsWith('.bin')) continue;
      const file = join(this.dir, name);
      const fd = openSync(file, 'r');
      try {
        const head = Buffer.alloc(16);
        if (readSync(fd, head, 0, 16, 0) !== 16 || !head.subarray(0, 8).equals(MAGIC)) continue;
        const dim = head.readUInt32LE(8);
        const count = head.readUInt32LE(12);
        if (dim !== this.dim) continue;
        const keys = Buffer.alloc(count * KEY_BYTES);
        if (readSync(fd, keys, 0, keys.length, 16) !== keys.length) continue;
        for (let i = 0; i < count; i++) {
          this.index.set(keys.toString('hex', i * KEY_BYTES, (i + 1) * KEY_BYTES), { file, index: i });
        }
        this.counts.set(file, count);
      } finally {
        closeSync(fd);
      }
    }
  }

  /** Number of vectors available on disk. */
  get size(): number {
    return this.index.size;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Vector sections of recently read chunks: reruns hit chunks in order, so each is read once. */
  private loaded: Array<{ file: string; vectors: Float32Array }> = [];

  private chunkVectors(file: string): Float32Array | undefined {
    const hit = this.loaded.find((l) => l.file === file);
    if (hit) return hit.vectors;
    const count = this.counts.get(file)!;
    if (count * this.dim * 4 > 64 * 1024 * 1024) return undefined; // huge foreign chunk: read per vector
    const vectors = new Float32Array(count * this.dim);
    const fd = openSync(file, 'r');
    try {
      const view = new Uint8Array(vectors.buffer);
      if (readSync(fd, view, 0, view.length, 16 + count * KEY_BYTES) !== view.length) return undefined;
    } finally {
      closeSync(fd);
    }
    this.loaded.unshift({ file, vectors });
    if (this.loaded.length > 2) this.loaded.pop();
    return vectors;
  }

  /** Copies the cached vector for `key` into `out` at `offset`; false when absent. */
  read(key: string, out: Float32Array, offset: number): boolean {
    const e = this.index.get(key);
    if (!e) return false;
    const vectors = this.chunkVectors(e.file);
    if (vectors) {
      out.set(vectors.subarray(e.index * this.dim, (e.index + 1) * this.dim), offset);
      return true;
    }
    let fd = this.fds.get(e.file);
    if (fd === undefined) {
      fd = openSync(e.file, 'r');
      this.fds.set(e.file, fd);
    }
    const count = this.counts.get(e.file)!;
    const pos = 16 + count * KEY_BYTES + e.index * this.dim * 4;
    // Read straight into the output array (float32 files are little-endian, as on x86 and ARM).
    const view = new Uint8Array(out.buffer, out.byteOffset + offset * 4, this.dim * 4);
    return readSync(fd, view, 0, view.length, pos) === view.length;
  }

  /** Queues a vector; a chunk is written once `chunkRows` are pending. */
  add(key: string, vec: Float32Array): void {
    if (this.index.has(key)) return;
    this.pending.push({ key, vec: Float32Array.from(vec) });
    if (this.pending.length >= this.chunkRows) this.flush();
  }

  /** Writes all pending vectors as one chunk (atomically). */
  flush(): void {
    if (this.pending.length === 0) return;
    const seen = new Set<string>();
    const rows = this.pending.filter((p) => !seen.has(p.key) && (seen.add(p.key), true));
    this.pending = [];
    const head = Buffer.alloc(16);
    MAGIC.copy(head, 0);
    head.writeUInt32LE(this.dim, 8);
    head.writeUInt32LE(rows.length, 12);
    const keys = Buffer.alloc(rows.length * KEY_BYTES);
    const vecs = new Float32Array(rows.length * this.dim);
    rows.forEach((r, i) => {
      keys.write(r.key, i * KEY_BYTES, 'hex');
      vecs.set(r.vec, i * this.dim);
    });
    const name = `chunk-${Date.now().toString(36)}-${process.pid}-${(this.seq++).toString(36)}.bin`;
    const file = join(this.dir, name);
    writeFileAtomicSync(file, Buffer.concat([head, keys, new Uint8Array(vecs.buffer, vecs.byteOffset, vecs.byteLength)]));
    rows.forEach((r, i) => this.index.set(r.key, { file, index: i }));
    this.counts.set(file, rows.length);
  }

  /** Flushes and closes open files. */
  close(): void {
    this.flush();
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
