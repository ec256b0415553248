/**
 * The `neardup` command line. Each subcommand lives in its own module under src/cli/ and
 * registers itself on the shared program through a `register(program)` function.
 */
import { Command, CommanderError } from 'commander';
import { NeardupError } from '../errors';
import * as embedCmd from './embed';
import * as modelCmd from './model';
import * as installCmd from './install';
import * as kernelCmd from './kernel';
import * as scanCmd from './scan';
import * as exportCmd from './export';
import * as shardCmd from './shard';

/** Subcommand modules; each exports `register(program: Command): void`. */
const subcommands: Array<{ register(program: Command): void }> = [
  // Added by each stage's CLI module (embed, model, scan, install, ...).
  embedCmd,
  modelCmd,
  installCmd,
  kernelCmd,
  scanCmd,
  exportCmd,
  shardCmd,
];

export function buildProgram(): Command {
  const program = new Command('neardup')
    .description('Find and remove duplicate and near-duplicate images in machine-learning datasets.')
    .version(require('../../package.json').version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const sub of subcommands) sub.register(program);
  return program;
}

/** Runs the CLI with `argv` (as process.argv) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // A command that finished but had failures to report (export --copy-to) sets process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed help or the usage error.
      return err.exitCode;
    }
    if (err instanceof NeardupError) {
      process.stderr.write(`neardup: ${err.message}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (e && e.code && e.path) {
      process.stderr.write(`neardup: ${e.code}: ${e.path}\n`);
      return 2;
    }
    process.stderr.write(`neardup: ${e && e.message ? e.message : String(err)}\n`);
    if (process.env.NEARDUP_DEBUG) process.stderr.write(`${e && e.stack}\n`);
    return 1;
  }
}
