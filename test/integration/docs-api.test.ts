/**
 * docs/api, the reference generated from the TSDoc (issue 9, item 8): it is what
 * `npm run docs` makes from the current sources, its module pages are named after the
 * package's entry points, it opens on an overview, and the constants of unixproc/os are in
 * sections by the call they belong to rather than in one list of "Variables".
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../helpers/scratch-package';

const API = path.join(ROOT, 'docs', 'api');
const read = (page: string): string => fs.readFileSync(path.join(API, page), 'utf8');
const headings = (page: string): string[] => read(page).split('\n').filter((l) => l.startsWith('## '));

/** Every file under dir, relative to it. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

test('the index lists one module per entry point, by its import name', () => {
  const modules = [...read('README.md').matchAll(/^- \[([^\]]+)\]\(([^)]+)\)$/gm)].map((m) => m[1]);
  expect(modules).toEqual([
    'unixproc',
    'unixproc/init',
    'unixproc/jest/environment',
    'unixproc/jest/global-setup',
    'unixproc/jest/global-teardown',
    'unixproc/node-test',
    'unixproc/os',
    'unixproc/prometheus',
    'unixproc/resource',
    'unixproc/vitest',
  ]);
});

test('the index opens on the overview, which names every entry point', () => {
  const index = read('README.md');
  expect(index).toContain('# unixproc API reference');
  for (const entry of ['unixproc', 'unixproc/os', 'unixproc/resource', 'unixproc/init', 'unixproc/prometheus', 'unixproc/node-test', 'unixproc/jest/global-setup']) {
    expect(index).toContain(`| \`${entry}\``);
  }
});

test("unixproc/os puts its constants in sections by call, and has no 'Variables' list", () => {
  const sections = headings('unixproc/os/README.md');
  expect(sections).toEqual(
    expect.arrayContaining([
      '## Functions',
      '## Constants: wait options',
      '## Constants: waitid idtype',
      '## Constants: waitid si_code',
      '## Constants: exit codes',
      '## Constants: posix_spawn',
      '## Constants: fd calls',
      '## Constants: spawn*',
      '## Constants: scheduling',
    ]),
  );
  expect(sections).not.toContain('## Variables');
  const waitOptions = read('unixproc/os/README.md').split('## Constants: wait options')[1].split('\n## ')[0];
  expect(waitOptions).toContain('[WNOHANG]');
});

test('unixproc/resource has its constants in sections too (issue 13)', () => {
  const sections = headings('unixproc/resource/README.md');
  expect(sections).toEqual(expect.arrayContaining(['## Functions', '## Constants: resource limits', '## Constants: resource usage']));
  expect(sections).not.toContain('## Variables');
});

test('docs/api is what npm run docs generates from the current TSDoc', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-typedoc-'));
  try {
    const typedoc = path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const r = spawnSync(process.execPath, [typedoc, '--out', out], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const files = tree(out);
    expect(tree(API)).toEqual(files);
    const stale = files.filter((f) => fs.readFileSync(path.join(out, f), 'utf8') !== fs.readFileSync(path.join(API, f), 'utf8'));
    expect(stale).toEqual([]);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
