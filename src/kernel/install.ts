/**
 * Installs the neardup kernelspec and the prebuilt JupyterLab extension into a Jupyter data
 * directory (`<prefix>/share/jupyter`, or the per-user one). Used by `neardup install` and by
 * `npm run setup` (which targets the project's `.venv`). Idempotent: files are rewritten only
 * when their content changes, each write atomic (temp + rename).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { packageRoot } from './resolve';

export const KERNEL_NAME = 'neardup';
export const KERNEL_DISPLAY_NAME = 'TypeScript (neardup)';
export const LABEXTENSION_NAME = 'neardup-widgets';

/** The kernel.json content: Jupyter runs this Node binary on the kernel entry point. */
export function kernelSpec(root = packageRoot(), node = process.execPath): Record<string, unknown> {
  return {
    argv: [node, path.join(root, 'dist', 'kernel', 'main.js'), '--connection-file', '{connection_file}'],
    display_name: KERNEL_DISPLAY_NAME,
    language: 'typescript',
    interrupt_mode: 'signal',
    metadata: { debugger: false },
  };
}

/** The per-user Jupyter data directory (what `jupyter --data-dir` prints). */
export function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  const r = spawnSync('jupyter', ['--data-dir'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Jupyter');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? os.homedir(), 'jupyter');
  const xdg = process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share');
  return path.join(xdg, 'jupyter');
}

/** `<prefix>/share/jupyter`: where a virtualenv's or conda env's Jupyter looks. */
export function prefixDataDir(prefix: string): string {
  return path.join(path.resolve(prefix), 'share', 'jupyter');
}

function writeIfChanged(file: string, text: string): boolean {
  try {
    if (fs.readFileSync(file, 'utf8') === text) return false;
  } catch {
    /* missing */
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  return true;
}

/** Writes `<dataDir>/kernels/neardup/kernel.json`. Returns its path and whether it changed. */
export function installKernelspec(dataDir: string, root = packageRoot()): { file: string; changed: boolean } {
  const file = path.join(dataDir, 'kernels', KERNEL_NAME, 'kernel.json');
  const changed = writeIfChanged(file, `${JSON.stringify(kernelSpec(root), null, 1)}\n`);
  return { file, changed };
}

function treeSignature(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.statSync(p);
      if (st.isDirectory()) walk(p);
      else parts.push(`${path.relative(dir, p)}:${st.size}:${Math.floor(st.mtimeMs)}`);
    }
  };
  walk(dir);
  return parts.join('\n');
}

/** The prebuilt extension folder shipped in this package, or null if it has not been built. */
export function builtLabextension(root = packageRoot()): string | null {
  const dir = path.join(root, 'share', 'jupyter', 'labextensions', LABEXTENSION_NAME);
  return fs.existsSync(path.join(dir, 'package.json')) ? dir : null;
}

/**
 * Copies the prebuilt extension to `<dataDir>/labextensions/neardup-widgets` (a copy, not a
 * link, so the install survives the source moving). Skips the copy when nothing changed.
 */
export function installLabextension(dataDir: string, src: string): { dir: string; changed: boolean } {
  const dest = path.join(dataDir, 'labextensions', LABEXTENSION_NAME);
  const stamp = path.join(dest, '.neardup-source');
  const sig = `${src}\n${treeSignature(src)}`;
  try {
    if (fs.readFileSync(stamp, 'utf8') === sig) return { dir: dest, changed: false };
  } catch {
    /* not installed yet */
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.cpSync(src, tmp, { recursive: true });
  fs.writeFileSync(path.join(tmp, '.neardup-source'), sig);
  const old = `${dest}.${process.pid}.old`;
  if (fs.existsSync(dest)) fs.renameSync(dest, old);
  fs.renameSync(tmp, dest);
  fs.rmSync(old, { recursive: true, force: true });
  return { dir: dest, changed: true };
}
