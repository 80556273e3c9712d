/**
 * The `unixproc` command: dispatches to one module per subcommand (loaded on demand, so
 * `unixproc ps` does not load the supervisor).
 * @internal
 */
import type { CliIO, Command } from './command';
import { UsageError } from './command';
import { isErrnoException } from '../errors';
import { escapeText } from './text';

/** Subcommands, in the order `unixproc --help` lists them. */
const commands: Record<string, () => Command> = {
  ps: () => require('./ps').command,
  top: () => require('./top').command,
  tree: () => require('./tree').command,
  zombies: () => require('./zombies').command,
  orphans: () => require('./orphans').command,
  daemons: () => require('./daemons').command,
  guard: () => require('./guard').command,
  supervise: () => require('./supervise').command,
  metrics: () => require('./metrics').command,
};

function help(): string {
  const lines = ['usage: unixproc <command> [options]', '       unixproc help <command>', '       unixproc --version', '', 'commands:'];
  for (const [name, load] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${load().summary}`);
  lines.push('', "Run 'unixproc help <command>' (or 'unixproc <command> --help') for a command's options.", '');
  return lines.join('\n');
}

/**
 * The version of the package, from its package.json (two levels up from lib/cli and from
 * dist/cli alike), read only when asked for.
 */
function version(): string {
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
  return `unixproc ${typeof pkg.version === 'string' ? pkg.version : 'unknown'}\n`;
}

function commandOf(name: string): (() => Command) | undefined {
  return Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
}

function usageText(command: Command): string {
  return command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`;
}

/**
 * Runs `unixproc` with `argv` (the arguments after the program name) and resolves to the
 * exit code: 0 success, 1 a finding (a leak, a zombie...), a failed child or a system error
 * (printed as `unixproc <command>: <message>`), 2 a usage error.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-V') {
    io.stdout.write(version());
    return 0;
  }
  if (name === 'help' && args.length > 0) {
    // `unixproc help ps`: the command's usage, as `unixproc ps --help`
    const topic = commandOf(args[0]);
    if (topic === undefined || args.length > 1) {
      const what = topic === undefined ? `unknown command '${escapeText(args[0])}'` : `help takes one command, not '${escapeText(args[1])}'`;
      io.stderr.write(`unixproc help: ${what}\n\n${help()}`);
      return 2;
    }
    io.stdout.write(usageText(topic()));
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(help());
    return name === undefined ? 2 : 0;
  }
  const load = commandOf(name);
  if (load === undefined) {
    io.stderr.write(`unixproc: unknown command '${escapeText(name)}'\n\n${help()}`);
    return 2;
  }
  const command = load();
  // --help anywhere among the command's own options (before a bare `--`: what follows is
  // another program's arguments, as in `unixproc guard -- cmd --help`).
  const own = args.indexOf('--') === -1 ? args : args.slice(0, args.indexOf('--'));
  if (own.some((a) => a === '--help' || a === '-h')) {
    io.stdout.write(usageText(command));
    return 0;
  }
  if (own.includes('--version')) {
    io.stdout.write(version());
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      // Escaped here, once, like every line of human output: a usage error quotes what it
      // was given (an unknown option, a bad pid), which may hold a terminal escape.
      io.stderr.write(`unixproc ${name}: ${escapeText(e.message)}\n\n${command.usage}\n`);
      return 2;
    }
    // A system error (a --procfs root that is not there, EACCES...) is a failure, not a bug:
    // its message, escaped (it may hold a path from the command line), and exit 1.
    if (isErrnoException(e)) {
      io.stderr.write(`unixproc ${name}: ${escapeText(e.message)}\n`);
      return 1;
    }
    throw e;
  }
}
