/**
 * `neardup export <scan-dir>`: acts on a scan's decisions (samples.csv + summary.json): the list of
 * files to remove, a filtered sample table, and a deduplicated copy of the image folder (copy or
 * hardlink, with a dry run). Never deletes or modifies the input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { NeardupError } from '../errors';
import { oneOf } from './options';
import { readCsv } from '../frame';
import { dedupCopy, exportSamples, removeList, writeRemoveList, type SampleFilter } from '../export';

interface ExportCliOptions {
  removeList?: string;
  samples?: string;
  filter: Exclude<SampleFilter, (...a: never[]) => unknown>;
  copyTo?: string;
  hardlink?: boolean;
  dryRun?: boolean;
}

/** Reads a scan folder written by `neardup scan`. */
async function readScan(dir: string) {
  const samplesFile = path.join(dir, 'samples.csv');
  const summaryFile = path.join(dir, 'summary.json');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new NeardupError(`scan folder ${dir} does not exist`);
  if (!fs.existsSync(samplesFile)) throw new NeardupError(`${samplesFile} not found: run "neardup scan <dataset> --out ${dir}" first`);
  const { columns, rows } = await readCsv(samplesFile);
  for (const c of ['id', 'filepath', 'keep', 'is_duplicate']) {
    if (!columns.includes(c)) throw new NeardupError(`${samplesFile} has no "${c}" column: not a neardup scan output`);
  }
  // CSV cells are text: give the known columns their types back (for JSON output and filters).
  const numeric = new Set(['max_similarity', 'uniqueness', 'group_id', 'exact_group', 'label', 'width', 'height', 'original_index']);
  const typed = rows.map((r) => {
    const o: Record<string, unknown> = {};
    for (const c of columns) {
      const v = r[c];
      if (v === '') o[c] = null;
      else if (c === 'is_duplicate' || c === 'keep') o[c] = v === 'true';
      else if (numeric.has(c) && /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v)) o[c] = Number(v);
      else o[c] = v;
    }
    return o;
  });
  let summary: { dataset_root?: string | null; threshold?: number } = {};
  if (fs.existsSync(summaryFile)) {
    try {
      summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    } catch {
      throw new NeardupError(`${summaryFile} is not valid JSON`);
    }
  }
  return { rows: typed, columns, summary };
}

export function register(program: Command): void {
  program
    .command('export')
    .description("Export a scan's results: files to remove, filtered samples, or a deduplicated copy of the image folder")
    .argument('<scan-dir>', 'folder written by neardup scan --out')
    .option('--remove-list <file>', 'write the duplicates to remove (.txt: one path per line; .csv or .json: id, filepath, duplicate_of)')
    .option('--samples <file>', 'write the samples passing --filter (.csv or .json)')
    .option('--filter <which>', 'rows for --samples: all, duplicates, kept, flagged, skipped', oneOf('all', 'duplicates', 'kept', 'flagged', 'skipped'), 'kept')
    .option('--copy-to <dir>', 'copy the kept images into a new folder, keeping the tree (image-folder datasets)')
    .option('--hardlink', 'with --copy-to: hard-link instead of copying (no extra space; links share data with the originals)')
    .option('--dry-run', 'with --copy-to: print what would be written, write nothing')
    .action(async (dir: string, o: ExportCliOptions) => {
      if (!o.removeList && !o.samples && !o.copyTo) {
        throw new NeardupError('nothing to export: give --remove-list <file>, --samples <file> or --copy-to <dir>');
      }
      if ((o.hardlink || o.dryRun) && !o.copyTo) throw new NeardupError(`--${o.hardlink ? 'hardlink' : 'dry-run'} needs --copy-to <dir>`);
      const scanDir = path.resolve(dir);
      const { rows, summary } = await readScan(scanDir);
      const out = process.stdout;
      if (o.removeList) {
        const entries = removeList(rows);
        await writeRemoveList(entries, o.removeList);
        out.write(`wrote ${entries.length} files to remove to ${o.removeList} (nothing was deleted)\n`);
      }
      if (o.samples) {
        const count = await exportSamples(rows, o.samples, { filter: o.filter });
        out.write(`wrote ${count} ${o.filter} samples to ${o.samples}\n`);
      }
      if (o.copyTo) {
        const root = summary.dataset_root;
        if (!root) throw new NeardupError(`--copy-to works on image-folder datasets; ${path.join(scanDir, 'summary.json')} names no dataset folder`);
        const items = rows.map((r) => ({ rel: String(r.id), source: String(r.filepath), keep: r.keep === true, alias: r.status === 'alias' }));
        const res = await dedupCopy(items, {
          inputRoot: root,
          outDir: o.copyTo,
          mode: o.hardlink ? 'hardlink' : 'copy',
          dryRun: Boolean(o.dryRun),
        });
        const verb = res.mode === 'hardlink' ? 'link' : 'copy';
        if (res.dryRun) {
          for (const a of res.actions) out.write(`${a.action === 'exists' ? 'exists' : verb} ${a.source} -> ${a.target}\n`);
          for (const rel of res.leftOut) out.write(`skip ${rel} (duplicate)\n`);
          const todo = res.actions.filter((a) => a.action !== 'exists').length;
          for (const rel of res.aliases) out.write(`skip ${rel} (alias)\n`);
          out.write(`dry run: would ${verb} ${todo} files into ${res.outDir} (${res.actions.length - todo} already there), leaving out ${res.leftOut.length} duplicates${aliasNote(res.aliases.length)}; nothing written\n`);
        } else {
          out.write(`${res.mode === 'hardlink' ? 'linked' : 'copied'} ${res.written} files into ${res.outDir} (${res.actions.length - res.written} already there), left out ${res.leftOut.length} duplicates${aliasNote(res.aliases.length)}\n`);
        }
        // A bad row never stops the others; each is reported, and the exit status says some failed.
        for (const f of res.failed) process.stderr.write(`could not ${res.dryRun ? 'plan' : verb} ${f.rel}: ${f.reason}\n`);
        if (res.failed.length) {
          process.stderr.write(`${res.failed.length} kept file${res.failed.length === 1 ? '' : 's'} could not be ${res.mode === 'hardlink' ? 'linked' : 'copied'} (listed above); everything else was ${res.dryRun ? 'planned' : 'written'}\n`);
          process.exitCode = 1;
        }
      }
    });
}

function aliasNote(n: number): string {
  return n ? ` and ${n} alias${n === 1 ? '' : 'es'} (other names of a file copied once)` : '';
}
