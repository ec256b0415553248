/**
 * Atomic file writes: data goes to a temporary file in the destination's own folder (same file
 * system, so the final rename is atomic) and is renamed over the target only once fully written.
 * A crash or error leaves either the old file or the new one, never a half-written one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

/** A unique temporary path beside `target` (hidden, so folder scans ignore it). */
export function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.${process.pid}.${Date.now().toString(36)}.${(counter++).toString(36)}.tmp`);
}

/**
 * Writes `data` to `file` atomically (temp file in the same folder, fsync, rename).
 * Creates the parent folder if needed.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = tempPathFor(path.resolve(file));
  try {
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/** Synchronous twin of {@link writeFileAtomic}, for exit handlers and simple scripts. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = tempPathFor(path.resolve(file));
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
