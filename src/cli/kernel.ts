/** `neardup kernel --connection-file <f>`: runs the Jupyter kernel (Jupyter starts it for you). */
import fs from 'node:fs';
import type { Command } from 'commander';
import { NeardupError } from '../errors';

export function register(program: Command): void {
  program
    .command('kernel')
    .description('Run the neardup TypeScript Jupyter kernel (started by Jupyter through the kernelspec)')
    .requiredOption('--connection-file <file>', 'connection file written by Jupyter')
    .action(async (opts: { connectionFile: string }) => {
      if (!fs.existsSync(opts.connectionFile)) {
        throw new NeardupError(`--connection-file: no such file: ${opts.connectionFile}`);
      }
      const { startKernel } = await import('../kernel/server');
      await startKernel({ connectionFile: opts.connectionFile });
      // Keep running until Jupyter shuts the kernel down (the ZMQ sockets keep the process alive).
      await new Promise<never>(() => {});
    });
}
