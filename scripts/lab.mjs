#!/usr/bin/env node
// `npm run lab`: JupyterLab from the project's .venv, on notebooks/. Extra args go to jupyter lab.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const jupyter = join(root, '.venv', 'bin', 'jupyter');
if (!existsSync(jupyter)) {
  console.error('lab: .venv is missing; run `npm run setup` first');
  process.exit(1);
}
const rootArgs = process.getuid?.() === 0 ? ['--allow-root'] : []; // containers often run as root
const child = spawn(jupyter, ['lab', `--notebook-dir=${join(root, 'notebooks')}`, ...rootArgs, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
