// Keeps the docs honest where that is cheap: every `unixproc <cmd>` option the docs name is
// one the command's usage lists and its parser accepts (and every option the usage lists is
// documented), and every relative link or docs/ page named in README.md and docs/*.md
// exists. The /proc commands read the fixture tree, guard and supervise stop at their usage
// error: no process is started. (docs/api is generated and not checked here.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { main } from '../../lib/cli/index';

const ROOT = resolve(__dirname, '../..');
const DOCS = join(ROOT, 'docs');
const FIXTURE = join(ROOT, 'test/fixtures/proc/tree');

const PROC_COMMANDS = ['ps', 'tree', 'zombies', 'orphans', 'daemons'] as const;
const COMMANDS = [...PROC_COMMANDS, 'top', 'guard', 'supervise', 'metrics'] as const;
type CommandName = (typeof COMMANDS)[number];

const OPTION = /--[a-z][a-z-]*/g;

const read = (path: string): string => readFileSync(path, 'utf8');
const docPages = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .sort();
/** README.md and every topic page, as paths relative to the repository. */
const markdownFiles = ['README.md', ...docPages.map((f) => `docs/${f}`)];

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** The page's `## ` sections (heading line -> body), ignoring `#` lines inside fenced code. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  let heading = '';
  let body: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (!fenced && /^## /.test(line)) {
      out.set(heading, body.join('\n'));
      heading = line.slice(3).trim();
      body = [];
    } else {
      body.push(line);
    }
  }
  out.set(heading, body.join('\n'));
  return out;
}

function section(file: string, heading: string): string {
  const body = sections(read(join(ROOT, file))).get(heading);
  if (body === undefined) throw new Error(`${file} has no section '## ${heading}'`);
  return body;
}

/**
 * Options written after `unixproc <cmd>` on one line of any page (a command line in a code
 * block or a code span), up to the command's own `--`, a shell operator or a comment.
 */
function optionsOnCommandLines(text: string): Map<CommandName, Set<string>> {
  const out = new Map<CommandName, Set<string>>();
  const re = new RegExp(`unixproc (${COMMANDS.join('|')})\\b([^\\n\`]*)`, 'g');
  for (const m of text.matchAll(re)) {
    const tail = m[2].split(/ -- |\s--$|&&|\|\||[|;>#]/)[0];
    const set = out.get(m[1] as CommandName) ?? new Set<string>();
    for (const o of tail.match(OPTION) ?? []) set.add(o);
    out.set(m[1] as CommandName, set);
  }
  return out;
}

/** Every option the docs name for each command. */
function documentedOptions(): Map<CommandName, Set<string>> {
  const out = new Map<CommandName, Set<string>>(COMMANDS.map((c) => [c, new Set<string>()]));
  const add = (cmd: CommandName, text: string): void => {
    for (const o of text.match(OPTION) ?? []) out.get(cmd)!.add(o);
  };
  // docs/cli.md: the shared options (the rows of the first table of the shared section),
  // and each /proc command's own section.
  const shared = section('docs/cli.md', 'Shared by every /proc subcommand')
    .split('\n')
    .filter((l) => /^\| `-/.test(l))
    .map((l) => l.split('|')[1])
    .join(' ');
  for (const cmd of PROC_COMMANDS) {
    add(cmd, shared);
    add(cmd, section('docs/cli.md', cmd));
  }
  add('top', section('docs/cli.md', 'top'));
  add('guard', section('docs/leak-guard.md', 'The CLI: `unixproc guard`'));
  add('supervise', section('docs/supervise.md', '`unixproc supervise`'));
  add('metrics', section('docs/cli.md', 'metrics'));
  for (const file of markdownFiles) {
    for (const [cmd, options] of optionsOnCommandLines(read(join(ROOT, file)))) {
      for (const o of options) out.get(cmd)!.add(o);
    }
  }
  return out;
}

const documented = documentedOptions();
const usages = new Map<CommandName, string>();

beforeAll(async () => {
  for (const cmd of COMMANDS) {
    const r = await runCli([cmd, '--help']);
    if (r.code !== 0) throw new Error(`unixproc ${cmd} --help exited ${r.code}: ${r.stderr}`);
    usages.set(cmd, r.stdout);
  }
});

/** The arguments that make `cmd` parse `option` and nothing else of consequence. */
function probe(cmd: CommandName, option: string): string[] {
  return (PROC_COMMANDS as readonly string[]).includes(cmd) ? [cmd, '--procfs', FIXTURE, '--procfs-fixture', option] : [cmd, option];
}

describe('the unixproc options the docs name', () => {
  test('are found for every command (the extraction itself works)', () => {
    for (const cmd of COMMANDS) expect([cmd, documented.get(cmd)!.size > 0]).toEqual([cmd, true]);
    expect([...documented.get('ps')!]).toEqual(expect.arrayContaining(['--pid', '--state', '--json', '--procfs']));
  });

  test('name guard --ignore (a glob), not the regex flag it replaced, which is a usage error naming it', async () => {
    expect([documented.get('guard')!.has('--ignore'), documented.get('guard')!.has('--ignore-pattern')]).toEqual([true, false]);
    const r = await runCli(['guard', '--ignore-pattern', 'x', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--ignore-pattern .* was replaced by --ignore <glob>/);
  });

  test('an option no parser knows is reported as unknown (what the acceptance test looks for)', async () => {
    const r = await runCli(probe('ps', '--no-such-option'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --no-such-option/);
  });

  test.each(COMMANDS)('for unixproc %s are all listed in its --help usage', (cmd) => {
    const listed = new Set(usages.get(cmd)!.match(OPTION));
    expect([...documented.get(cmd)!].filter((o) => !listed.has(o))).toEqual([]);
  });

  test.each(COMMANDS)('for unixproc %s are all accepted by its parser', async (cmd) => {
    const unknown: string[] = [];
    for (const option of documented.get(cmd)!) {
      const r = await runCli(probe(cmd, option));
      if (/unknown option/.test(r.stderr)) unknown.push(option);
    }
    expect(unknown).toEqual([]);
  });

  test.each(COMMANDS)('include every option unixproc %s --help lists', (cmd) => {
    const names = documented.get(cmd)!;
    expect([...new Set(usages.get(cmd)!.match(OPTION))].filter((o) => !names.has(o))).toEqual([]);
  });
});

/** Markdown without fenced code blocks and code spans, where `[x](y)` is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as '-'. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(path: string): Set<string> {
  const headings = prose(read(path))
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => anchor(l.replace(/^#+ /, '')));
  return new Set(headings);
}

describe('links in README.md and docs/*.md', () => {
  test.each(markdownFiles)('every relative link in %s points at an existing file (and heading)', (file) => {
    const path = join(ROOT, file);
    const broken: string[] = [];
    for (const m of prose(read(path)).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
      const [file0, hash] = target.split('#');
      const resolved = file0 === '' ? path : resolve(dirname(path), file0);
      if (!existsSync(resolved)) broken.push(target);
      else if (hash !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(hash)) broken.push(target);
    }
    expect(broken).toEqual([]);
  });

  test.each(markdownFiles)('every docs/<page>.md that %s names exists', (file) => {
    const named = read(join(ROOT, file)).match(/(?<![\w/.])docs\/[\w-]+\.md/g) ?? [];
    expect(named.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  test('README.md links every topic page in docs/', () => {
    const linked = new Set([...prose(read(join(ROOT, 'README.md'))).matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]));
    expect(docPages.filter((f) => !linked.has(`docs/${f}`))).toEqual([]);
  });
});
