// Minimal JupyterLab + headless Chromium harness for the explorer's end-to-end test and benchmark:
// JupyterLab from the project's .venv, the neardup kernelspec and the freshly built extension
// (share/jupyter) put on JUPYTER_PATH, isolated config/runtime/settings dirs, and Debian's chromium
// through playwright-core. (The kernel stage's test/helpers may replace this once it lands.)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { kernelSpec } from '../../src/kernel/install';

export const ROOT = join(__dirname, '..', '..');
const JUPYTER = join(ROOT, '.venv', 'bin', 'jupyter');
const EXT = join(ROOT, 'share', 'jupyter', 'labextensions', 'neardup-widgets', 'package.json');

/** Why the e2e cannot run here, or null. */
export function missingPrerequisite(): string | null {
  if (!existsSync(JUPYTER)) return `no ${JUPYTER} (run npm run setup)`;
  if (!existsSync('/usr/bin/chromium')) return 'no /usr/bin/chromium';
  return null;
}

/** Builds dist/ and the extension when they are missing (npm test builds dist; setup builds the extension). */
export function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'widgets', 'explorer', 'index.js'))) {
    spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  }
  if (!existsSync(EXT)) {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-labextension.mjs')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('building the labextension failed');
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const APP_CLASS = { lab: 'LabApp', notebook: 'JupyterNotebookApp' } as const;

export interface Lab {
  url: string;
  token: string;
  dir: string;
  stop(): Promise<void>;
}

/** Starts JupyterLab (or Jupyter Notebook 7 with `app: 'notebook'`) serving `notebookDir`; resolves once its API answers. */
export async function startLab(notebookDir: string, app: 'lab' | 'notebook' = 'lab'): Promise<Lab> {
  const tmp = mkdtempSync(join(tmpdir(), 'nd-lab-'));
  const data = join(tmp, 'data');
  mkdirSync(join(data, 'kernels', 'neardup'), { recursive: true });
  writeFileSync(join(data, 'kernels', 'neardup', 'kernel.json'), JSON.stringify(kernelSpec(ROOT)));
  const port = await freePort();
  const token = 'nd' + Math.random().toString(36).slice(2);
  const env = {
    ...process.env,
    JUPYTER_PATH: [join(ROOT, 'share', 'jupyter'), data].join(':'),
    JUPYTER_CONFIG_DIR: join(tmp, 'config'),
    JUPYTER_RUNTIME_DIR: join(tmp, 'runtime'),
    JUPYTER_PLATFORM_DIRS: '1',
    PATH: `${join(ROOT, '.venv', 'bin')}:${process.env.PATH}`,
  };
  const proc: ChildProcess = spawn(
    JUPYTER,
    [
      app, '--no-browser', `--port=${port}`, '--ip=127.0.0.1', `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${notebookDir}`, `--${APP_CLASS[app]}.expose_app_in_browser=True`,
      `--${APP_CLASS[app]}.user_settings_dir=${join(tmp, 'settings')}`, `--${APP_CLASS[app]}.workspaces_dir=${join(tmp, 'workspaces')}`,
      '--ServerApp.disable_check_xsrf=True', '--allow-root',
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr!.on('data', (d) => (log = (log + d).slice(-20000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`jupyter lab exited: ${log}`);
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`jupyter lab did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    token,
    dir: notebookDir,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** A notebook for the neardup kernel with the given code cells. */
export function writeNotebook(file: string, cells: string[]): void {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'neardup', display_name: 'TypeScript (neardup)', language: 'typescript' } },
    cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source })),
  };
  writeFileSync(file, JSON.stringify(nb, null, 1));
}

/** Opens a notebook in JupyterLab (or Notebook 7 with `app: 'notebook'`) and waits for its kernel to be idle. */
export async function openNotebook(page: Page, lab: Lab, name: string, app: 'lab' | 'notebook' = 'lab'): Promise<void> {
  await page.goto(app === 'lab' ? `${lab.url}/lab/tree/${encodeURIComponent(name)}?token=${lab.token}&reset` : `${lab.url}/notebooks/${encodeURIComponent(name)}?token=${lab.token}`);
  await page.waitForFunction(
    () => {
      const app = (window as any).jupyterapp;
      const w = app?.shell?.currentWidget;
      return w?.sessionContext?.session?.kernel?.status === 'idle' && w.content?.widgets?.length > 0;
    },
    null,
    { timeout: 120_000, polling: 200 },
  );
}

/** Runs cell `i` of the current notebook and waits until its execution finished. */
export async function runCell(page: Page, i: number, timeout = 180_000): Promise<void> {
  const before = await page.evaluate((index) => {
    const app = (window as any).jupyterapp;
    const panel = app.shell.currentWidget;
    panel.content.activeCellIndex = index;
    const prev = panel.content.widgets[index].model.executionCount;
    void app.commands.execute('notebook:run-cell');
    return prev;
  }, i);
  await page.waitForFunction(
    ([index, prev]) => {
      const panel = (window as any).jupyterapp.shell.currentWidget;
      const cell = panel.content.widgets[index as number];
      const n = cell.model.executionCount;
      return n !== null && n !== prev && panel.sessionContext.session?.kernel?.status === 'idle';
    },
    [i, before] as const,
    { timeout, polling: 100 },
  );
}

/** Text of the outputs of cell `i`. */
export async function cellOutput(page: Page, i: number): Promise<string> {
  return page.evaluate((index) => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    const node: HTMLElement = panel.content.widgets[index].node;
    return Array.from(node.querySelectorAll('.jp-OutputArea-output')).map((e) => (e as HTMLElement).innerText).join('\n');
  }, i);
}
