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
  tree: () => require('./tree').command,
  zombies: () => require('./zombies').command,
  orphans: () => require('./orphans').command,
  daemons: () => require('./daemons').command,
  guard: () => require('./guard').command,
  supervise: () => require('./supervise').command,
  metrics: () => require('./metrics').command,
};

function help(): string {
  const lines = ['usage: unixproc <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${load().summary}`);
  lines.push('', "Run 'unixproc <command> --help' for a command's options.", '');
  return lines.join('\n');
}

/**
 * Runs `unixproc` with `argv` (the arguments after the program name) and resolves to the
 * exit code: 0 success, 1 a finding (a leak, a zombie...), a failed child or a system error
 * (printed as `unixproc <command>: <message>`), 2 a usage error.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(help());
    return name === undefined ? 2 : 0;
  }
  const load = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (load === undefined) {
    io.stderr.write(`unixproc: unknown command '${escapeText(name)}'\n\n${help()}`);
    return 2;
  }
  const command = load();
  // --help anywhere among the command's own options (before a bare `--`: what follows is
  // another program's arguments, as in `unixproc guard -- cmd --help`).
  const own = args.indexOf('--') === -1 ? args : args.slice(0, args.indexOf('--'));
  if (own.some((a) => a === '--help' || a === '-h')) {
    io.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
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
