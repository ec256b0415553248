/**
 * Option parsers shared by the CLI's subcommands (`scan`, `embed`, `export`, `model`). Each throws
 * commander's `InvalidArgumentError`, so commander names the option in the message.
 */
import { InvalidArgumentError } from 'commander';
import { resolveModelConfig, type ModelConfig } from '../embed/model';

/** Parser for a number in [min, max]; the error names the value (commander adds the option). */
export function numberIn(min: number, max: number): (v: string) => number {
  return (v) => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x < min || x > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got '${v}'.`);
    }
    return x;
  };
}

/** The `model` option for `--model` plus `--dequantize` / `--no-dequantize`: the named (or bundled) model with float or int8 activations; neither flag leaves the choice to the dataset's defaults. */
export function modelOption(model: string | undefined, dequantize: boolean | undefined): string | Partial<ModelConfig> | undefined {
  return dequantize === undefined ? model : { ...resolveModelConfig(model), dequantize };
}

/** Parser for an integer in [min, max]. */
export function intIn(min: number, max: number): (v: string) => number {
  return (v) => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isInteger(x) || x < min || x > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got '${v}'.`);
    }
    return x;
  };
}

/** Parser for one of a fixed set of words. */
export function oneOf<T extends string>(...choices: T[]): (v: string) => T {
  return (v) => {
    if (!(choices as string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${v}'.`);
    return v as T;
  };
}

/** A keep policy: first, largest, or a split name (train, test, ...). */
export function keepPolicy(v: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(v)) throw new InvalidArgumentError(`expected first, largest or a split name such as train or test, got '${v}'.`);
  return v;
}


/** Collects repeatable `key=value` options into an object. */
export function keyValue(v: string, prev: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`expected key=value, got '${v}'.`);
  return { ...prev, [m[1]]: m[2] };
}
