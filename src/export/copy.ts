/**
 * A deduplicated copy of an image-folder dataset: the kept files are copied (or hard-linked) into a
 * new folder with the same tree. Originals are only ever read; nothing is written outside the output
 * folder; an existing different file is never overwritten; an interrupted copy resumes (files
 * already copied with the same size and mtime are skipped). Each file lands atomically
 * (temp name in the same folder, then rename).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NeardupError } from '../errors';
import { checkOutputDir, isInside, realpathLoose, safeJoin } from './safe-path';
import { decodePathBytes, encodePathBytes, encodePathString, fsPath, realPathEncoded } from '../datasets/names';

/** One sample to consider: its path relative to the dataset root (its id), its file, and whether it is kept. */
export interface CopyItem {
  rel: string;
  source: string;
  keep: boolean;
  /**
   * Another name of a file already in the dataset (samples.csv status `alias`): left out, so the
   * copy holds each file once (its canonical name is copied when kept).
   */
  alias?: boolean;
}

/** Options of {@link dedupCopy}. */
export interface DedupCopyOptions {
  /** The dataset folder the sources come from (they must all lie inside it). */
  inputRoot: string;
  /** New folder to write; must not be, contain or lie inside `inputRoot`. */
  outDir: string;
  /** `copy` (default) or `hardlink` (no extra space; the link shares data with the original). */
  mode?: 'copy' | 'hardlink';
  /** Only plan: check everything and report what would be written, write nothing. */
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** What happens to one kept file. `exists`: already in place from an earlier run, left as is. */
export interface CopyAction {
  rel: string;
  source: string;
  target: string;
  action: 'copy' | 'hardlink' | 'exists';
}

/** Result of {@link dedupCopy}. */
export interface DedupCopyResult {
  outDir: string;
  mode: 'copy' | 'hardlink';
  dryRun: boolean;
  /** One entry per kept file. */
  actions: CopyAction[];
  /** Files written in this run (0 for a dry run). */
  written: number;
  /** Relative paths left out (the duplicates). */
  leftOut: string[];
  /** Relative paths left out because they are aliases (other names of a file that is copied once). */
  aliases: string[];
  /** Kept samples that could not be written (each with its reason); the others were. */
  failed: CopyFailure[];
}

/** A kept file that could not be written, and why. */
export interface CopyFailure {
  rel: string;
  source: string;
  reason: string;
}

/** The fs path of `target` (`outDir` + an encoded relative path; datasets/names.ts). */
function outFsPath(outDir: string, target: string): string | Buffer {
  const rel = path.relative(outDir, target);
  const bytes = decodePathBytes(rel.split(path.sep).join('/'));
  if (bytes.equals(Buffer.from(rel, 'utf8'))) return target;
  return Buffer.concat([Buffer.from(outDir + path.sep), bytes]);
}

function dirOf(p: string | Buffer): string | Buffer {
  if (typeof p === 'string') return path.dirname(p);
  return p.subarray(0, p.lastIndexOf(0x2f));
}

function withTmpName(p: string | Buffer): string | Buffer {
  const suffix = `.${process.pid}.neardup-tmp`;
  if (typeof p === 'string') return path.join(path.dirname(p), `.${path.basename(p)}${suffix}`);
  const cut = p.lastIndexOf(0x2f) + 1;
  return Buffer.concat([p.subarray(0, cut), Buffer.from('.'), p.subarray(cut), Buffer.from(suffix)]);
}

/**
 * Copies (or hard-links) the kept files into `outDir`, keeping their relative paths. All checks run
 * before the first write, and in a dry run too. An output folder that overlaps the input, or a
 * hard link across file systems, stops the export (NeardupError); a problem with one sample (an
 * unsafe or clashing path, a source outside the input folder or unreadable, a different file in the
 * way) only leaves that sample out: it is listed in `failed` with its reason and the rest is written.
 * Ids and file paths may carry the lossless encoding of names that are not UTF-8 (datasets/names.ts):
 * the output file gets the original bytes of the name.
 */
export async function dedupCopy(items: CopyItem[], opts: DedupCopyOptions): Promise<DedupCopyResult> {
  const mode = opts.mode ?? 'copy';
  if (mode !== 'copy' && mode !== 'hardlink') throw new NeardupError(`unknown copy mode '${String(mode)}' (use copy or hardlink)`);
  const inputRoot = realpathLoose(opts.inputRoot);
  if (!fs.existsSync(inputRoot) || !fs.statSync(inputRoot).isDirectory()) {
    throw new NeardupError(`input folder ${opts.inputRoot} does not exist or is not a folder`);
  }
  const outDir = path.resolve(opts.outDir);
  checkOutputDir(inputRoot, outDir);
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new NeardupError(`output ${opts.outDir} exists and is not a folder`);

  const actions: CopyAction[] = [];
  const failed: CopyFailure[] = [];
  const leftOut: string[] = [];
  const aliases: string[] = [];
  const targets = new Set<string>();
  const outRealPlan = realpathLoose(outDir);
  for (const it of items) {
    if (it.alias) {
      aliases.push(it.rel);
      continue;
    }
    if (!it.keep) {
      leftOut.push(it.rel);
      continue;
    }
    try {
      const target = safeJoin(outDir, it.rel);
      // A symlinked folder already in the output could lead anywhere (even into the input).
      if (!isInside(outRealPlan, realpathLoose(path.dirname(target)))) {
        throw new NeardupError(`refusing to write ${it.rel}: ${path.dirname(target)} leads outside ${opts.outDir}`);
      }
      if (targets.has(target)) throw new NeardupError(`two samples map to the same output file ${it.rel}`);
      const source = realPathEncoded(it.source);
      if (source === null) throw new NeardupError(`sample ${it.rel}: cannot read ${it.source} (missing, a broken symlink or a symlink loop)`);
      if (!isInside(encodePathString(inputRoot), source)) throw new NeardupError(`sample ${it.rel}: its file ${it.source} is outside the input folder ${opts.inputRoot}`);
      let st: fs.Stats;
      try {
        st = fs.statSync(fsPath(source));
      } catch {
        throw new NeardupError(`sample ${it.rel}: cannot read ${it.source}`);
      }
      const action = sameFile(source, st, outFsPath(outDir, target), target, mode) ? 'exists' : mode;
      targets.add(target);
      actions.push({ rel: it.rel, source, target, action });
    } catch (err) {
      if (!(err instanceof NeardupError)) throw err;
      failed.push({ rel: it.rel, source: it.source, reason: err.message });
    }
  }
  if (opts.dryRun) return { outDir, mode, dryRun: true, actions, written: 0, leftOut, aliases, failed };

  const outReal = () => fs.realpathSync(outDir);
  fs.mkdirSync(outDir, { recursive: true });
  const outRoot = outReal();
  let written = 0;
  let done = 0;
  const planned = actions.splice(0);
  for (const a of planned) {
    if (a.action !== 'exists') {
      const target = outFsPath(outDir, a.target);
      const dir = dirOf(target);
      const tmp = withTmpName(target);
      const source = fsPath(a.source);
      try {
        fs.mkdirSync(dir, { recursive: true });
        // A symlinked folder inside the output could point anywhere (even into the input): refuse.
        if (!isInside(encodePathString(outRoot), encodePathBytes(fs.realpathSync.native(dir, { encoding: 'buffer' })))) {
          throw new NeardupError(`refusing to write ${a.rel}: ${path.dirname(a.target)} leads outside ${opts.outDir}`);
        }
        fs.rmSync(tmp, { force: true }); // a leftover from an interrupted run
        try {
          if (mode === 'hardlink') {
            try {
              fs.linkSync(source, tmp);
            } catch (err) {
              const code = (err as NodeJS.ErrnoException).code;
              if (code === 'EXDEV') throw new CrossDevice(`cannot hard-link across file systems (${a.source} → ${opts.outDir}); use copy mode`);
              throw err;
            }
          } else {
            fs.copyFileSync(source, tmp, fs.constants.COPYFILE_EXCL);
            const st = fs.statSync(source);
            fs.utimesSync(tmp, st.atime, st.mtime);
          }
          if (fs.existsSync(target)) throw new NeardupError(`refusing to overwrite ${a.target}, which appeared during the copy`);
          fs.renameSync(tmp, target);
        } catch (err) {
          fs.rmSync(tmp, { force: true });
          throw err;
        }
      } catch (err) {
        if (err instanceof CrossDevice) throw new NeardupError(err.message, 'io');
        // One file failing (permissions, disk quirks) leaves that file out, not the rest.
        const e = err as NodeJS.ErrnoException;
        failed.push({ rel: a.rel, source: a.source, reason: err instanceof NeardupError ? err.message : `${e.code ?? 'error'}: ${e.message}` });
        continue;
      }
      written++;
    }
    actions.push(a);
    done++;
    if (opts.onProgress && (done % 100 === 0 || done === planned.length)) opts.onProgress(done, planned.length);
  }
  return { outDir, mode, dryRun: false, actions, written, leftOut, aliases, failed };
}

class CrossDevice extends Error {}

/**
 * True when `target` already holds `source` from an earlier run (same inode for links; same size and
 * mtime for copies, which keep the source's mtime). Throws if a different file is in the way.
 */
function sameFile(source: string, st: fs.Stats, target: string | Buffer, shown: string, mode: 'copy' | 'hardlink'): boolean {
  let t: fs.Stats;
  try {
    t = fs.lstatSync(target);
  } catch {
    return false;
  }
  if (t.isFile()) {
    if (mode === 'hardlink' && t.ino === st.ino && t.dev === st.dev) return true;
    if (mode === 'copy' && t.size === st.size && Math.abs(t.mtimeMs - st.mtimeMs) < 1) return true;
  }
  throw new NeardupError(`output file ${shown} already exists and differs from ${source}; remove it or choose a new output folder`);
}
