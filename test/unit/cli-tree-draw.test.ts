// The pieces of `unixproc tree` that need no /proc: pstree's layout and compaction rules on
// hand-built trees (test/integration/cli-tree.test.ts checks the same drawing against the
// real pstree on real processes), and DOT escaping, checked by the real `dot`.
import { spawnSync } from 'node:child_process';
import { ASCII, DrawNode, drawTree, subtreeIds, UNICODE } from '../../lib/cli/tree-draw';
import { dotLabelText, DotNode, toDot } from '../../lib/cli/tree-dot';
import { escapeText } from '../../lib/escape';

/** The text of an SVG <text> element, XML entities decoded. */
const xmlText = (s: string): string =>
  s.replace(/&(quot|amp|lt|gt|#(\d+));/g, (_m, name: string, code?: string) =>
    code !== undefined ? String.fromCodePoint(Number(code)) : ({ quot: '"', amp: '&', lt: '<', gt: '>' } as Record<string, string>)[name],
  );

const n = (label: string, ...children: DrawNode[]): DrawNode => ({ label, thread: false, children });
const t = (label: string): DrawNode => ({ label, thread: true, children: [] });

describe('drawTree (pstree layout)', () => {
  test('an only child continues its parent line with ---, several with -+-, |- and `- under the parent column', () => {
    expect(drawTree([n('init', n('a', n('b')), n('cc'), n('d'))], ASCII, true, false)).toEqual(['init-+-a---b', '     |-cc', '     `-d']);
  });

  test('identical sibling subtrees fold into N*[...]; the same name with other children does not', () => {
    const sh2 = (): DrawNode => n('sh', n('sleep'), n('sleep'));
    const sh1 = n('sh', n('sleep'));
    expect(drawTree([n('x', sh2(), sh1, sh2())], ASCII, true, false)).toEqual(['x-+-2*[sh---2*[sleep]]', '  `-sh---sleep']);
  });

  test('a repeated subtree of several lines closes its bracket at the end of each of them (as pstree)', () => {
    const sub = (): DrawNode => n('bash', n('sleep'), n('tail'));
    expect(drawTree([n('bash', sub(), sub())], ASCII, true, false)).toEqual(['bash---2*[bash-+-sleep]', '               `-tail]']);
  });

  test('without compaction every sibling is drawn (-p, -c)', () => {
    expect(drawTree([n('p', n('s'), n('s'))], ASCII, false, false)).toEqual(['p-+-s', '  `-s']);
  });

  test('box drawing uses the same columns', () => {
    expect(drawTree([n('init', n('a'), n('b', n('c'), n('d')))], UNICODE, true, false)).toEqual(['init─┬─a', '     └─b─┬─c', '         └─d']);
  });

  test('one per line (pstree -a): two columns per level, only threads folded', () => {
    const tree = n('top', n('sleep 1'), n('sleep 1'), n('py', t('{py}'), t('{py}')));
    expect(drawTree([tree], ASCII, true, true)).toEqual(['top', '  |-sleep 1', '  |-sleep 1', '  `-py', '      `-2*[{py}]']);
  });

  test('subtree ids are equal exactly for equal label and equal children in order', () => {
    const a = n('a', n('b'), n('c'));
    const b = n('a', n('b'), n('c'));
    const c = n('a', n('c'), n('b'));
    const d = n('a', n('b'));
    const ids = subtreeIds([a, b, c, d]);
    expect([ids.get(a) === ids.get(b), ids.get(a) === ids.get(c), ids.get(a) === ids.get(d)]).toEqual([true, false, false]);
  });
});

describe('DOT labels', () => {
  test('quotes, backslashes, newlines, control characters, bidi controls and non-UTF-8 bytes are escaped text', () => {
    expect(dotLabelText('a"b')).toBe('a\\"b');
    expect(dotLabelText('a\\nb')).toBe('a\\\\\\\\nb'); // a literal backslash-n: \\n for the terminal, each \ doubled for DOT
    expect(dotLabelText('a\nb')).toBe('a\\\\nb'); // a newline: \n for the terminal, its \ doubled for DOT
    expect(dotLabelText('ev\x1b[2J')).toBe('ev\\\\x1b[2J');
    expect(dotLabelText('x\u202ey\u2066')).toBe('x\\\\u202ey\\\\u2066');
    expect(dotLabelText('b\udcffc')).toBe('b\\\\xffc');
    expect(dotLabelText('plain name-1.2_ok é')).toBe('plain name-1.2_ok é');
  });

  // Each hostile name tried as a whole graph of one process: the real dot must read it as
  // exactly that node (plus the legend's one) with that text, not as more nodes or attributes.
  test.each(['"]; evil [label="x', 'a\\', '\\"', 'x\n}\ndigraph {', '\x00\x07\x1b]0;t\x07', '\u202egnp.exe', '<b>html</b>', '{a|b}'])(
    'the real dot reads a process named %j as one node labelled with its escaped name',
    (name) => {
      const node: DotNode = { pid: 7, name, state: 'S', kind: 'process', threads: 0, children: [] };
      const r = spawnSync('dot', ['-Tplain'], { input: toDot([node]), encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
      const nodes = r.stdout.split('\n').filter((l) => l.startsWith('node '));
      expect(nodes.map((l) => l.split(' ')[1])).toEqual(['p7', 'legend_process']);
      // and the picture shows the name as the text output writes it, then the details
      const svg = spawnSync('dot', ['-Tsvg'], { input: toDot([node]), encoding: 'utf8' }).stdout;
      const texts = [...svg.slice(svg.indexOf('<title>p7</title>')).matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => xmlText(m[1]));
      expect(texts.slice(0, 2)).toEqual([escapeText(name), 'pid 7, S']);
    },
  );
});
