/**
 * Path checks for everything export writes: outputs stay inside the output folder, and the output
 * folder is never the input folder, inside it, or around it. Written separately so the rules are in
 * one place and tested on their own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NeardupError } from '../errors';

/** True when `child` is `parent` or lies under it (both absolute, already resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `realpath` of the longest existing prefix of `p`, with the rest appended (p need not exist). */
export function realpathLoose(p: string): string {
  const abs = path.resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail.reverse());
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return abs;
      tail.push(path.basename(head));
      head = parent;
    }
  }
}

/**
 * Refuses an output folder that equals the input folder, lies inside it, or contains it (symlinks
 * resolved), so an export can never write over or among the originals.
 */
export function checkOutputDir(inputRoot: string, outDir: string): void {
  const input = realpathLoose(inputRoot);
  const out = realpathLoose(outDir);
  if (input === out) throw new NeardupError(`output folder ${outDir} is the input folder; choose a new folder`);
  if (isInside(input, out)) throw new NeardupError(`output folder ${outDir} is inside the input folder ${inputRoot}; choose a folder outside it`);
  if (isInside(out, input)) throw new NeardupError(`output folder ${outDir} contains the input folder ${inputRoot}; choose a new, separate folder`);
}

/**
 * Resolves a relative path from the dataset (a sample id such as `train/cat/1.png`) under `outDir`.
 * Refuses absolute paths, `..` segments, empty names and anything that would land outside `outDir`.
 */
export function safeJoin(outDir: string, rel: string): string {
  if (typeof rel !== 'string' || rel.trim() === '') throw new NeardupError(`refusing to write an empty path under ${outDir}`);
  if (rel.includes('\0')) throw new NeardupError(`refusing path with a NUL byte: ${JSON.stringify(rel)}`);
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel)) {
    throw new NeardupError(`refusing absolute path ${JSON.stringify(rel)}: export only writes inside ${outDir}`);
  }
  const parts = rel.split(/[\\/]+/);
  if (parts.some((p) => p === '..')) {
    throw new NeardupError(`refusing path ${JSON.stringify(rel)}: '..' would write outside ${outDir}`);
  }
  const target = path.resolve(outDir, ...parts.filter((p) => p !== '' && p !== '.'));
  if (!isInside(path.resolve(outDir), target) || target === path.resolve(outDir)) {
    throw new NeardupError(`refusing path ${JSON.stringify(rel)}: it resolves outside ${outDir}`);
  }
  return target;
}
