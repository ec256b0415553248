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

/** One sample to consider: its path relative to the dataset root (its id), its file, and whether it is kept. */
export interface CopyItem {
  rel: string;
  source: string;
  keep: boolean;
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
}

/**
 * Copies (or hard-links) the kept files into `outDir`, keeping their relative paths. All checks run
 * before the first write, and in a dry run too: unsafe paths, sources outside the input folder,
 * conflicting existing files, an output folder that overlaps the input.
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
  const leftOut: string[] = [];
  const targets = new Set<string>();
  const outRealPlan = realpathLoose(outDir);
  for (const it of items) {
    const target = safeJoin(outDir, it.rel);
    if (!it.keep) {
      leftOut.push(it.rel);
      continue;
    }
    // A symlinked folder already in the output could lead anywhere (even into the input).
    if (!isInside(outRealPlan, realpathLoose(path.dirname(target)))) {
      throw new NeardupError(`refusing to write ${it.rel}: ${path.dirname(target)} leads outside ${opts.outDir}`);
    }
    if (targets.has(target)) throw new NeardupError(`two samples map to the same output file ${it.rel}`);
    targets.add(target);
    const source = realpathLoose(it.source);
    if (!isInside(inputRoot, source)) throw new NeardupError(`sample ${it.rel}: its file ${it.source} is outside the input folder ${opts.inputRoot}`);
    let st: fs.Stats;
    try {
      st = fs.statSync(source);
    } catch {
      throw new NeardupError(`sample ${it.rel}: cannot read ${it.source}`);
    }
    actions.push({ rel: it.rel, source, target, action: sameFile(source, st, target, mode) ? 'exists' : mode });
  }
  if (opts.dryRun) return { outDir, mode, dryRun: true, actions, written: 0, leftOut };

  const outReal = () => fs.realpathSync(outDir);
  fs.mkdirSync(outDir, { recursive: true });
  const outRoot = outReal();
  let written = 0;
  let done = 0;
  for (const a of actions) {
    if (a.action !== 'exists') {
      const dir = path.dirname(a.target);
      fs.mkdirSync(dir, { recursive: true });
      // A symlinked folder inside the output could point anywhere (even into the input): refuse.
      if (!isInside(outRoot, fs.realpathSync(dir))) throw new NeardupError(`refusing to write ${a.rel}: ${dir} leads outside ${opts.outDir}`);
      const tmp = path.join(dir, `.${path.basename(a.target)}.${process.pid}.neardup-tmp`);
      fs.rmSync(tmp, { force: true }); // a leftover from an interrupted run
      try {
        if (mode === 'hardlink') {
          try {
            fs.linkSync(a.source, tmp);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'EXDEV') throw new NeardupError(`cannot hard-link across file systems (${a.source} → ${opts.outDir}); use copy mode`);
            throw err;
          }
        } else {
          fs.copyFileSync(a.source, tmp, fs.constants.COPYFILE_EXCL);
          const st = fs.statSync(a.source);
          fs.utimesSync(tmp, st.atime, st.mtime);
        }
        if (fs.existsSync(a.target)) throw new NeardupError(`refusing to overwrite ${a.target}, which appeared during the copy`);
        fs.renameSync(tmp, a.target);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw err;
      }
      written++;
    }
    done++;
    if (opts.onProgress && (done % 100 === 0 || done === actions.length)) opts.onProgress(done, actions.length);
  }
  return { outDir, mode, dryRun: false, actions, written, leftOut };
}

/**
 * True when `target` already holds `source` from an earlier run (same inode for links; same size and
 * mtime for copies, which keep the source's mtime). Throws if a different file is in the way.
 */
function sameFile(source: string, st: fs.Stats, target: string, mode: 'copy' | 'hardlink'): boolean {
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
  throw new NeardupError(`output file ${target} already exists and differs from ${source}; remove it or choose a new output folder`);
}
