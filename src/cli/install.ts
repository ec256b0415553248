/**
 * `neardup install [--prefix <env> | --user]`: registers the neardup kernel ("TypeScript (neardup)")
 * and copies the prebuilt JupyterLab extension into an existing Jupyter installation.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { NeardupError } from '../errors';
import { builtLabextension, installKernelspec, installLabextension, prefixDataDir, userDataDir } from '../kernel/install';

export function register(program: Command): void {
  program
    .command('install')
    .description('Register the neardup Jupyter kernel and widget extension with your Jupyter')
    .option('--prefix <env>', 'install into <env>/share/jupyter (a virtualenv or conda env); default: $VIRTUAL_ENV or $CONDA_PREFIX if set')
    .option('--user', 'install into your per-user Jupyter data directory')
    .action((opts: { prefix?: string; user?: boolean }) => {
      if (opts.prefix && opts.user) throw new NeardupError('--prefix and --user are mutually exclusive');
      let dataDir: string;
      if (opts.prefix) {
        if (!fs.existsSync(opts.prefix) || !fs.statSync(opts.prefix).isDirectory()) {
          throw new NeardupError(`--prefix: not a directory: ${opts.prefix}`);
        }
        dataDir = prefixDataDir(opts.prefix);
      } else if (!opts.user && (process.env.VIRTUAL_ENV || process.env.CONDA_PREFIX)) {
        dataDir = prefixDataDir((process.env.VIRTUAL_ENV || process.env.CONDA_PREFIX) as string);
      } else {
        dataDir = userDataDir();
      }
      const ks = installKernelspec(dataDir);
      process.stdout.write(`kernelspec ${ks.changed ? 'installed' : 'up to date'}: ${ks.file}\n`);
      const ext = builtLabextension();
      if (!ext) {
        process.stdout.write('labextension: not built in this package (widgets other than the standard controls will not render)\n');
        return;
      }
      const le = installLabextension(dataDir, ext);
      process.stdout.write(`labextension ${le.changed ? 'installed' : 'up to date'}: ${le.dir}\n`);
    });
}
