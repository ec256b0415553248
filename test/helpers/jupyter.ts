/**
 * Test helpers around the project's real Jupyter (.venv, set up by `npm run setup`): paths to its
 * tools, a JupyterLab server on a free port with a token and a temporary root directory, and
 * clean shutdown (killed on failure). Reused by the kernel and explorer tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const REPO = path.resolve(__dirname, '..', '..');
export const VENV = path.join(REPO, '.venv');

/** Path of an executable in the project's .venv (`python`, `jupyter`, ...). */
export function venvBin(name: string): string {
  return path.join(VENV, 'bin', name);
}

/** Why Jupyter tests cannot run here, or null when .venv and the neardup kernelspec are in place. */
export function jupyterMissing(): string | null {
  if (!fs.existsSync(venvBin('python'))) return '.venv is missing: run `npm run setup`';
  if (!fs.existsSync(path.join(VENV, 'share', 'jupyter', 'kernels', 'neardup', 'kernel.json'))) {
    return 'the neardup kernelspec is not installed in .venv: run `npm run setup`';
  }
  if (!fs.existsSync(path.join(REPO, 'dist', 'kernel', 'main.js'))) return 'dist/ is missing: run `npm run build`';
  return null;
}

/** Runs the .venv's python on a script; resolves with stdout, rejects with stderr on failure. */
export function runPython(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): string {
  const r = spawnSync(venvBin('python'), args, {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(`python ${args.join(' ')} exited with ${r.status ?? r.signal}\n${r.stderr}`);
  }
  return r.stdout;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh temporary directory (removed by the caller, or left for inspection on failure). */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `neardup-${prefix}-`));
}

export interface JupyterServer {
  url: string;
  token: string;
  port: number;
  rootDir: string;
  proc: ChildProcess;
  /** Server output so far (for failure messages). */
  log(): string;
  /** `<url>/lab/tree/<file>?token=...` */
  labUrl(file?: string): string;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/**
 * Starts `jupyter lab` from .venv on a free port, with a random token and `rootDir` as its root,
 * no browser. Resolves once `/api/status` answers. Kills the server if it does not come up.
 */
export async function startJupyterLab(rootDir: string, opts: { timeoutMs?: number; extraArgs?: string[] } = {}): Promise<JupyterServer> {
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const runtime = tempDir('jpruntime');
  const proc = spawn(
    venvBin('jupyter'),
    [
      'lab',
      '--no-browser',
      '--ServerApp.open_browser=False',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      '--ServerApp.ip=127.0.0.1',
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${rootDir}`,
      '--LabApp.news_url=None',
      '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []), // CI containers run as root
      ...(opts.extraArgs ?? []),
    ],
    {
      cwd: rootDir,
      env: { ...process.env, JUPYTER_RUNTIME_DIR: runtime, PATH: `${path.join(VENV, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so stop() also ends the kernels it started
    },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  proc.on('exit', () => (exited = true));

  const stop = async (): Promise<void> => {
    if (exited || proc.pid === undefined) return;
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 10_000);
    await gone;
    clearTimeout(timer);
    fs.rmSync(runtime, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    if (exited) throw new Error(`jupyter lab exited during start-up:\n${out}`);
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jupyter lab did not answer on ${url} in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    token,
    port,
    rootDir,
    proc,
    log: () => out,
    labUrl: (file?: string) => `${url}/lab${file ? `/tree/${file}` : ''}?token=${token}`,
    stop,
  };
}
