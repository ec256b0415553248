/**
 * Entry point the kernelspec runs: `node dist/kernel/main.js --connection-file <file>`.
 * Kept apart from the CLI so the kernel starts without loading every subcommand.
 */
import { startKernel } from './server';

/** Parses `--connection-file <f>` (or `--connection-file=<f>`, or a bare path) from argv. */
export function connectionFileFromArgs(args: string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--connection-file' || a === '-f') return args[i + 1] ?? null;
    if (a.startsWith('--connection-file=')) return a.slice('--connection-file='.length);
  }
  const bare = args.find((a) => !a.startsWith('-'));
  return bare ?? null;
}

if (require.main === module) {
  const file = connectionFileFromArgs(process.argv.slice(2));
  if (!file) {
    process.stderr.write('neardup kernel: missing --connection-file <file>\n');
    process.exit(2);
  }
  startKernel({ connectionFile: file }).catch((e: Error) => {
    process.stderr.write(`neardup kernel: ${e.message}\n`);
    process.exit(1);
  });
}
