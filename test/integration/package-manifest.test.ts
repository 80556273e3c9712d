/**
 * Package hygiene (issue 9, item 8): the licence and the fields the registry page shows,
 * what the tarball ships (the docs the README links, so its relative links work on the
 * registry page), the prepack guard against packing without prebuilt binaries, and a
 * lockfile that npm does not rewrite. Everything that runs npm runs in a scratch copy.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, copyPackage, npm } from '../helpers/scratch-package';

interface ExportEntry {
  readonly types?: string;
  readonly default?: string;
  readonly import?: { readonly types: string; readonly default: string };
  readonly require?: { readonly types: string; readonly default: string };
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  license: string;
  repository: { type: string; url: string };
  homepage: string;
  bugs: { url: string };
  scripts: Record<string, string>;
  exports: Record<string, ExportEntry | string>;
  typesVersions: Record<string, Record<string, string[]>>;
};

let work: string;
let src: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-manifest-'));
  src = path.join(work, 'src');
  fs.mkdirSync(src);
  copyPackage(src);
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function prepackCheck(env: Record<string, string | undefined>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(src, 'scripts', 'prepack-check.js')], {
    cwd: src,
    encoding: 'utf8',
    env: { ...process.env, UNIXPROC_PACK_WITHOUT_PREBUILDS: undefined, ...env },
  });
  return { status: r.status, stderr: r.stderr };
}

function touch(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '');
}

describe('the licence and the registry fields', () => {
  test('LICENSE is the MIT licence that package.json names', () => {
    const license = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
    expect(pkg.license).toBe('MIT');
    expect(license.split('\n')[0]).toBe('MIT License');
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });

  test('repository, homepage and bugs point at the GitHub repository', () => {
    expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/unixproc/unixproc.git' });
    expect(pkg.homepage).toBe('https://github.com/unixproc/unixproc#readme');
    expect(pkg.bugs).toEqual({ url: 'https://github.com/unixproc/unixproc/issues' });
  });

  test('typesVersions maps every subpath export to its CommonJS types (moduleResolution node10)', () => {
    const expected: Record<string, string[]> = {};
    for (const [subpath, entry] of Object.entries(pkg.exports)) {
      if (subpath === '.' || typeof entry === 'string') continue;
      expected[subpath.slice(2)] = [(entry.require ?? entry).types as string];
    }
    expect(Object.keys(expected).length).toBeGreaterThan(1);
    expect(pkg.typesVersions).toEqual({ '*': expected });
  });
});

describe('prepack', () => {
  test('is the prebuilds check', () => {
    expect(pkg.scripts.prepack).toBe('node scripts/prepack-check.js');
  });

  test('refuses to pack without prebuilds/ or fork-addon/prebuilds/, saying how to make them', () => {
    fs.rmSync(path.join(src, 'prebuilds'), { recursive: true, force: true });
    const r = prepackCheck({});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('refusing to pack: no prebuilt binary in prebuilds/ or fork-addon/prebuilds/');
    expect(r.stderr).toContain('npm run prebuild');
  });

  test('refuses with only the main addon prebuilt, naming the fork addon', () => {
    touch(path.join(src, 'prebuilds', `linux-${process.arch}`, 'unixproc.node'));
    const r = prepackCheck({});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no prebuilt binary in fork-addon/prebuilds/.');
  });

  test('refuses with both addons but no shepherd beside the main addon, naming its directory', () => {
    touch(path.join(src, 'prebuilds', `linux-${process.arch}`, 'unixproc.node'));
    touch(path.join(src, 'fork-addon', 'prebuilds', `linux-${process.arch}`, `node.abi${process.versions.modules}.node`));
    const r = prepackCheck({});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`no unixproc-shepherd in prebuilds/linux-${process.arch}/.`);
    fs.rmSync(path.join(src, 'prebuilds'), { recursive: true });
    fs.rmSync(path.join(src, 'fork-addon', 'prebuilds'), { recursive: true });
  });

  test('passes once both addons have a prebuilt binary and the shepherd is beside the main one', () => {
    touch(path.join(src, 'prebuilds', `linux-${process.arch}`, 'unixproc.node'));
    touch(path.join(src, 'prebuilds', `linux-${process.arch}`, 'unixproc-shepherd'));
    touch(path.join(src, 'fork-addon', 'prebuilds', `linux-${process.arch}`, `node.abi${process.versions.modules}.node`));
    expect(prepackCheck({})).toEqual({ status: 0, stderr: '' });
    fs.rmSync(path.join(src, 'prebuilds'), { recursive: true });
    fs.rmSync(path.join(src, 'fork-addon', 'prebuilds'), { recursive: true });
  });

  test('makes npm pack fail without prebuilds, and UNIXPROC_PACK_WITHOUT_PREBUILDS=1 waives it', () => {
    const refused = spawnSync('npm', ['pack', '--dry-run', '--ignore-scripts=false'], {
      cwd: src,
      encoding: 'utf8',
      env: { ...process.env, UNIXPROC_PACK_WITHOUT_PREBUILDS: undefined },
    });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('unixproc prepack: refusing to pack');
    expect(prepackCheck({ UNIXPROC_PACK_WITHOUT_PREBUILDS: '1' }).status).toBe(0);
  });
});

/** Relative link targets in the prose of a markdown file (not in code). */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z][a-z+.-]*:/i.test(t) && !t.startsWith('#'));
}

describe('the tarball', () => {
  let files: string[];

  beforeAll(() => {
    // --dry-run still runs prepack and prepare (the build), which lists dist/ too.
    const out = npm(['pack', '--dry-run', '--json'], src, { UNIXPROC_PACK_WITHOUT_PREBUILDS: '1' });
    files = (JSON.parse(out.slice(out.indexOf('['))) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
  }, 300_000);

  test('ships LICENSE, README.md, CONTRIBUTING.md, the entry points and every docs/ page', () => {
    const pages = (fs.readdirSync(path.join(ROOT, 'docs'), { recursive: true }) as string[]).filter((f) => f.endsWith('.md'));
    expect(pages.length).toBeGreaterThan(8);
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'CONTRIBUTING.md',
        'package.json',
        'dist/index.js',
        'dist/esm/index.mjs',
        'dist/esm/index.d.mts',
        'dist/esm/os.d.mts',
        'dist/esm/resource.mjs',
        'dist/esm/resource.d.mts',
        'dist/esm/init.mjs',
        'dist/esm/init.d.mts',
        'dist/prometheus/index.js',
        'dist/prometheus/index.d.ts',
        'dist/esm/prometheus.mjs',
        'dist/esm/prometheus.d.mts',
        ...pages.map((p) => `docs/${p}`),
      ]),
    );
  });

  const pages = ['README.md', ...(fs.readdirSync(path.join(ROOT, 'docs')) as string[]).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  test.each(pages)(
    'every relative link in %s points at a file in the tarball',
    (page) => {
      const links = relativeLinks(fs.readFileSync(path.join(ROOT, page), 'utf8'));
      const targets = links.map((l) => path.posix.normalize(path.posix.join(path.posix.dirname(page), l.split('#')[0])));
      const shipped = (t: string): boolean => files.includes(t) || files.some((f) => f.startsWith(`${t.replace(/\/$/, '')}/`));
      expect(targets.filter((t) => !shipped(t))).toEqual([]);
    },
  );
});

test('npm install --package-lock-only leaves package-lock.json as committed (the lockfile is in sync)', () => {
  const before = fs.readFileSync(path.join(src, 'package-lock.json'), 'utf8');
  npm(['install', '--package-lock-only', '--ignore-scripts', '--prefer-offline'], src);
  expect(fs.readFileSync(path.join(src, 'package-lock.json'), 'utf8')).toBe(before);
}, 120_000);
