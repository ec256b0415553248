#!/usr/bin/env node
// `npm run lab`: JupyterLab from the project's .venv, on notebooks/. Extra args go to jupyter lab
// (after `--`): `npm run lab -- --port 8899 --no-browser --IdentityProvider.token=secret`.
// `npm run lab -- --notebook` opens Jupyter Notebook 7 instead. `npm run lab -- --help` prints this.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const jupyter = join(root, '.venv', 'bin', 'jupyter');
if (!existsSync(jupyter)) {
  console.error('lab: .venv is missing; run `npm run setup` first');
  process.exit(1);
}
const USAGE = `npm run lab [-- options]   JupyterLab (or Notebook 7) from .venv on notebooks/, with the neardup kernel

  --port <n>                        port (default 8888, or the next free one)
  --no-browser                      do not open a browser; open the printed URL yourself (remote machines, containers)
  --IdentityProvider.token=<token>  fixed login token (default: a random one, printed in the URL); '' disables it
  --ip 0.0.0.0                      listen on every interface (inside a container)
  --notebook                        Jupyter Notebook 7 instead of JupyterLab
  anything else goes to jupyter lab / jupyter notebook (see: .venv/bin/jupyter lab --help)

example: npm run lab -- --port 8899 --no-browser --IdentityProvider.token=secret`;
let args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const app = args.includes('--notebook') ? 'notebook' : 'lab';
args = args.filter((a) => a !== '--notebook');
const rootArgs = process.getuid?.() === 0 ? ['--allow-root'] : []; // containers often run as root
const child = spawn(jupyter, [app, `--notebook-dir=${join(root, 'notebooks')}`, ...rootArgs, ...args], {
  cwd: root,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
