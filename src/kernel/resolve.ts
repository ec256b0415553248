/**
 * Makes `import { ... } from "neardup"` work in kernel cells wherever the notebook lives.
 *
 * Two resolvers must find the package: Node's `require` (to run the cell) and tslab's TypeScript
 * compiler (to type-check it, with classic `node10` resolution, which ignores package.json
 * `exports` self-references). When the notebook's directory or one of its ancestors has a real
 * `node_modules/neardup` (a user who ran `npm install neardup`), both use it untouched. Otherwise:
 * - Node: a directory holding a `neardup` entry that points at this package is added to NODE_PATH;
 * - TypeScript: `<cwd>/node_modules/neardup/...` is served from this package's files, the same
 *   way tslab itself serves `<cwd>/node_modules/tslab`.
 * Either way cells load the very files the kernel runs (one module instance, one comm manager).
 * Subpaths work the same way: Node maps `neardup/widgets` (`/kernel`, `/onnx`) through package.json
 * `exports`; TypeScript finds the root shims `widgets.d.ts` etc., which the forwarding above serves.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Module from 'node:module';

/** Root directory of the running neardup package (the folder with its package.json). */
export function packageRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

/** The nearest `node_modules/<name>` at or above `dir`, or null. */
export function findInstalled(dir: string, name = 'neardup'): string | null {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const p = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(p, 'package.json'))) return p;
    if (path.dirname(d) === d) return null;
  }
}

/**
 * A directory to put on NODE_PATH so that `require('neardup')` finds `root`: its parent when it
 * is itself installed in a node_modules folder, else a per-user cache folder with a symlink.
 */
function nodePathDirFor(root: string): string {
  const parent = path.dirname(root);
  if (path.basename(parent) === 'node_modules' && path.basename(root) === 'neardup') return parent;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = path.join(os.tmpdir(), `neardup-kernel-${uid}`, 'node_modules');
  fs.mkdirSync(dir, { recursive: true });
  const link = path.join(dir, 'neardup');
  let current: string | null = null;
  try {
    current = fs.readlinkSync(link);
  } catch {
    current = null;
  }
  if (current !== root) {
    // Replace atomically: a concurrent kernel never sees a missing link.
    const tmp = `${link}.${process.pid}.tmp`;
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* ignore */
    }
    fs.symlinkSync(root, tmp, 'dir');
    fs.renameSync(tmp, link);
  }
  return dir;
}

/** Adds the NODE_PATH entry for this package (no-op when `cwd` already resolves a real copy). */
export function makeRequireResolvable(cwd: string, root = packageRoot()): void {
  if (findInstalled(cwd)) return;
  const dir = nodePathDirFor(root);
  const parts = (process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean);
  if (!parts.includes(dir)) {
    process.env.NODE_PATH = [...parts, dir].join(path.delimiter);
    // Node reads NODE_PATH once at start-up; re-read it (documented in the modules docs).
    (Module as unknown as { _initPaths(): void })._initPaths();
  }
}

/**
 * Serves `<cwd>/node_modules/neardup/**` to tslab's TypeScript from `root` when no real copy is
 * installed there. Patches the `sys` object of tslab's TypeScript, which tslab's converter
 * delegates to; must run before the converter is created.
 */
export function makeTypesResolvable(cwd: string, root = packageRoot()): void {
  if (findInstalled(cwd)) return;
  const tslabDir = path.dirname(require.resolve('tslab/package.json'));
  const ts = require(require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] }));
  const sys = ts.sys as Record<string, (...a: any[]) => any>;
  const virtual = path.join(cwd, 'node_modules', 'neardup');
  const forward = (p: string): string => {
    if (typeof p !== 'string') return p;
    const rel = path.relative(virtual, p);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return p;
    return path.join(root, rel);
  };
  for (const fn of ['fileExists', 'readFile', 'directoryExists', 'realpath', 'getDirectories', 'readDirectory', 'getModifiedTime']) {
    const orig = sys[fn];
    if (typeof orig !== 'function') continue;
    sys[fn] = function (this: unknown, p: string, ...rest: unknown[]) {
      return orig.call(this, forward(p), ...rest);
    };
  }
  const origDirExists = sys.directoryExists;
  // `<cwd>/node_modules` itself may not exist; TypeScript must still look inside it.
  sys.directoryExists = function (this: unknown, p: string) {
    if (p === path.join(cwd, 'node_modules')) return true;
    return origDirExists.call(this, p);
  };
}

