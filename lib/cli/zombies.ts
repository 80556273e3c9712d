/**
 * `unixproc zombies`: zombies grouped by the parent that has not waited for them, from
 * findZombies(). Exits 1 when there is any, so it can gate a script or a CI job.
 * @internal
 */
import { findZombies } from '../proc';
import type { ZombieGroup } from '../proc';
import type { CliIO, Command } from './command';
import { atMostPositionals, commandText, COMMON_USAGE, noteUnreadable, parsePidList, procfsOption, readProcArgs, statText } from './proc-args';
import { Column, table, writeJson, writeLines } from './text';

const USAGE = `usage: unixproc zombies [--subreaper PID] [--wide] [--json] [--procfs ROOT [--procfs-fixture]]

Zombies (state Z), grouped by parent, the parent holding most first. The parent is the
one at fault: a zombie is gone but for its exit status, which stays until its parent
calls wait(). One row per parent: PARENT (pid), STAT (its state), HELD BY (init: PID 1
holds them; subreaper: a known child subreaper does; process: an ordinary parent),
ZOMBIES (how many), COMMAND (the parent's command line); then each parent's zombies.

  --subreaper PID  count PID as a child subreaper (repeatable, or a comma list); /proc
                   does not show which processes are, so name the ones you know
${COMMON_USAGE}

Exit status: 0 when there is no zombie, 1 when there is at least one, 2 for a usage error.`;

const COLUMNS: readonly Column[] = [
  { heading: 'PARENT', right: true },
  { heading: 'STAT' },
  { heading: 'HELD BY' },
  { heading: 'ZOMBIES', right: true },
  { heading: 'COMMAND' },
];

const WHY: Readonly<Record<ZombieGroup['parentKind'], string>> = {
  init: 'PID 1 (init) holds them: they stay until init reaps them (some inits reap late, or never)',
  subreaper: 'a child subreaper holds them: their parent died and the subreaper has not waited for them',
  process: 'their parent has not called wait() for them',
};

function groupLines(groups: readonly ZombieGroup[], width: { columns: number | undefined }): string[] {
  const rows = groups.map((g) => [
    String(g.parentPid),
    g.parent === undefined ? '?' : statText(g.parent),
    g.parentKind,
    String(g.count),
    g.parent === undefined ? '? (gone or unreadable)' : commandText(g.parent, true),
  ]);
  const lines = table(COLUMNS, rows, width);
  for (const g of groups) {
    const name = g.parent === undefined ? '?' : g.parent.comm;
    lines.push('', `zombies of ${g.parentPid} (${name}): ${g.zombies.map((z) => `${z.pid} ${z.comm}`).join(', ')}`);
    lines.push(`  ${WHY[g.parentKind]}`);
    if (g.parent === undefined) {
      lines.push('  the parent could not be read, or exited meanwhile (its zombies then pass to init or a subreaper)');
    }
  }
  const total = groups.reduce((n, g) => n + g.count, 0);
  lines.push('', `${total} ${total === 1 ? 'zombie' : 'zombies'} held by ${groups.length} ${groups.length === 1 ? 'parent' : 'parents'}`);
  return lines;
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = readProcArgs(argv, io, [], ['subreaper']);
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  atMostPositionals(args, 0);
  const groups = findZombies({ ...procfsOption(args), subreapers: parsePidList(args, 'subreaper') });
  const zombieCount = groups.reduce((n, g) => n + g.count, 0);
  if (args.json) writeJson(io, { zombieCount, groups });
  else writeLines(io, groups.length === 0 ? ['no zombies'] : groupLines(groups, args.width));
  noteUnreadable(io, args, 'zombies');
  return zombieCount > 0 ? 1 : 0;
}

/** `unixproc zombies`. */
export const command: Command = {
  summary: 'zombies grouped by the parent at fault; exit 1 when there is any',
  usage: USAGE,
  run,
};
