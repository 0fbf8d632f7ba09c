/**
 * Command lines, read the one way the commands share: `--name value` options and positionals,
 * and what is wrong with a command line said on one line (each command prints it on standard
 * error, exit 2).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export interface CommandLine {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** The command line parsed against `options`, or what is wrong with it (one line). */
export function commandLine(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): CommandLine | { readonly error: string } {
  try {
    const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options });
    return { values: values as CommandLine['values'], positionals };
  } catch (err) {
    return { error: (err as Error).message.replace(/\s+/g, ' ') };
  }
}

/** Whether the command line asks for `--format json`: read by hand, for when it does not parse. */
export function asksJson(args: readonly string[]): boolean {
  const i = args.indexOf('--format');
  return args.includes('--format=json') || (i >= 0 && args[i + 1] === 'json');
}
