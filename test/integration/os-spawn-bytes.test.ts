// posix_spawn with Buffers: paths, argv entries and env values pass to the kernel as their
// bytes, as Python's bytes arguments do, so names that are not UTF-8 work.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from '../../lib/os';
import { reap, tempDir } from '../helpers/os-core-children';

const FF = Buffer.from([0xff]); // a byte that is never valid UTF-8 on its own

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** `<dir>/<name bytes>` as a Buffer path. */
const bytesPath = (...name: Buffer[]): Buffer => Buffer.concat([Buffer.from(`${dir}/`), ...name]);

test('a program whose file name is not UTF-8 is spawned from its Buffer path', () => {
  const program = bytesPath(Buffer.from('prog'), FF);
  fs.writeFileSync(program, '#!/bin/sh\nexit 5\n', { mode: 0o755 });
  const pid = os.posix_spawn(program, ['prog'], null);
  expect(reap(pid)).toBe(5 << 8);
});

test('a missing Buffer path throws ENOENT with err.path the very Buffer given', () => {
  const missing = bytesPath(Buffer.from('none'), FF);
  let error: unknown;
  try {
    os.posix_spawn(missing, ['none'], null);
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({ code: 'ENOENT', syscall: 'posix_spawn' });
  expect((error as { path: unknown }).path).toBe(missing);
});

test('an argv entry given as a Buffer reaches the program byte for byte', () => {
  // The shell compares $1 with the single byte 0xff that printf makes.
  const pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'test "$1" = "$(printf "\\377")"', 'sh', FF], null);
  expect(reap(pid)).toBe(0);
});

test('an env value given as a Buffer reaches the program byte for byte', () => {
  const pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'test "$V" = "$(printf "\\377")"'], { V: FF, PATH: '/usr/bin:/bin' });
  expect(reap(pid)).toBe(0);
});

test('a Map env with a Buffer key sets that variable', () => {
  const pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'test "$K" = ok'], new Map<string | Buffer, string | Buffer>([[Buffer.from('K'), 'ok']]));
  expect(reap(pid)).toBe(0);
});

test('a POSIX_SPAWN_OPEN Buffer path creates the file with exactly those bytes as its name', () => {
  const target = bytesPath(Buffer.from('out'), FF);
  const { O_WRONLY, O_CREAT } = fs.constants;
  const pid = os.posix_spawn('/bin/true', ['true'], null, { file_actions: [[os.POSIX_SPAWN_OPEN, 1, target, O_WRONLY | O_CREAT, 0o600]] });
  expect(reap(pid)).toBe(0);
  expect(fs.readdirSync(dir, { encoding: 'buffer' })).toEqual([Buffer.concat([Buffer.from('out'), FF])]);
});

test.each([
  ['a Buffer path with a NUL byte', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(Buffer.from('/bin/true\0'), ['true'], null)],
  ['an empty Buffer path', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn(Buffer.alloc(0), ['true'], null)],
  ['an empty Buffer argv[0]', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn('/bin/true', [Buffer.alloc(0)], null)],
  ['a Buffer argv entry with a NUL byte', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn('/bin/true', ['true', Buffer.from('a\0b')], null)],
  ['a Buffer env key with =', 'ERR_INVALID_ARG_VALUE', () => os.posix_spawn('/bin/true', ['true'], new Map([[Buffer.from('A=B'), 'x']]))],
  ['a Uint8Array argv entry', 'ERR_INVALID_ARG_TYPE', () => os.posix_spawn('/bin/true', ['true', new Uint8Array([65]) as Buffer], null)],
])('%s is %s', (_what, code, f) => {
  expect(f).toThrow(expect.objectContaining({ code }));
});

test('a Buffer path is not decoded: the same name as a UTF-8 string names another file', () => {
  fs.writeFileSync(bytesPath(Buffer.from('p'), FF), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const decoded = path.join(dir, `p${FF.toString('utf8')}`); // 'p\ufffd', what UTF-8 decoding made of it
  expect(() => os.posix_spawn(decoded, ['p'], null)).toThrow(expect.objectContaining({ code: 'ENOENT', path: decoded }));
});
