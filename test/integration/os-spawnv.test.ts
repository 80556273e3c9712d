// The spawn* family of unixproc/os (issue 13), translated from CPython's test_os SpawnTests
// (each case names the CPython test; same inputs, same assertions). sys.executable is
// node here, and the script is `process.exit(17)` (reading the env key first where CPython's
// reads os.environ[key]). Python's ValueError for an empty argv is ERR_INVALID_ARG_VALUE.
import * as fs from 'node:fs';
import * as nodeOs from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as os from '../../lib/os';

const EXITCODE = 17;
let dir: string;
let filename: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(nodeOs.tmpdir(), 'unixproc-spawnv-'));
  filename = path.join(dir, 'TESTFN.js');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Created {
  program: string;
  args: string[];
  env: Record<string, string>;
}

/** SpawnTests.create_args. */
function createArgs(withEnv = false): Created {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  let code = `process.exit(${EXITCODE});`;
  if (withEnv) {
    const key = randomUUID();
    env[key] = key;
    code = `const magic = process.env[${JSON.stringify(key)}]; if (magic === undefined) throw new Error('no key'); process.exit(${EXITCODE});`;
  }
  fs.writeFileSync(filename, code);
  return { program: process.execPath, args: [process.execPath, filename], env };
}

describe('SpawnTests (test_os)', () => {
  test('test_spawnl', () => {
    const { program, args } = createArgs();
    expect(os.spawnl(os.P_WAIT, program, ...args)).toBe(EXITCODE);
  });

  test('test_spawnle', () => {
    const { program, args, env } = createArgs(true);
    expect(os.spawnle(os.P_WAIT, program, ...args, env)).toBe(EXITCODE);
  });

  test('test_spawnlp', () => {
    const { program, args } = createArgs();
    expect(os.spawnlp(os.P_WAIT, program, ...args)).toBe(EXITCODE);
  });

  test('test_spawnlpe', () => {
    const { program, args, env } = createArgs(true);
    expect(os.spawnlpe(os.P_WAIT, program, ...args, env)).toBe(EXITCODE);
  });

  test('test_spawnv (and a Buffer path, as the FakePath case)', () => {
    const { program, args } = createArgs();
    expect(os.spawnv(os.P_WAIT, program, args)).toBe(EXITCODE);
    expect(os.spawnv(os.P_WAIT, Buffer.from(program), args)).toBe(EXITCODE);
  });

  test('test_spawnve', () => {
    const { program, args, env } = createArgs(true);
    expect(os.spawnve(os.P_WAIT, program, args, env)).toBe(EXITCODE);
  });

  test('test_spawnvp', () => {
    const { program, args } = createArgs();
    expect(os.spawnvp(os.P_WAIT, program, args)).toBe(EXITCODE);
  });

  test('test_spawnvpe', () => {
    const { program, args, env } = createArgs(true);
    expect(os.spawnvpe(os.P_WAIT, program, args, env)).toBe(EXITCODE);
  });

  test('test_nowait: P_NOWAIT returns the pid, and waitpid gets the exit code', () => {
    const { program, args } = createArgs();
    const pid = os.spawnv(os.P_NOWAIT, program, args);
    const [reaped, status] = os.waitpid(pid, 0);
    expect([reaped, os.waitstatus_to_exitcode(status)]).toEqual([pid, EXITCODE]);
  });

  test('test_spawnve_bytes: Buffers in argv and env', () => {
    const { program, args, env } = createArgs(true);
    const benv = new Map<Buffer, Buffer>(Object.entries(env).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
    expect(os.spawnve(os.P_WAIT, Buffer.from(program), args.map((a) => Buffer.from(a)), benv as unknown as os.Environment)).toBe(EXITCODE);
  });

  const refused = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' });
  test('test_spawnl_noargs', () => {
    const { program } = createArgs();
    expect(() => os.spawnl(os.P_NOWAIT, program)).toThrow(refused);
    expect(() => os.spawnl(os.P_NOWAIT, program, '')).toThrow(refused);
  });

  test('test_spawnle_noargs', () => {
    const { program } = createArgs();
    expect(() => os.spawnle(os.P_NOWAIT, program, {})).toThrow(refused);
    expect(() => os.spawnle(os.P_NOWAIT, program, '', {})).toThrow(refused);
  });

  test('test_spawnv_noargs', () => {
    const { program } = createArgs();
    expect(() => os.spawnv(os.P_NOWAIT, program, [])).toThrow(refused);
    expect(() => os.spawnv(os.P_NOWAIT, program, [''])).toThrow(refused);
  });

  test('test_spawnve_noargs', () => {
    const { program } = createArgs();
    expect(() => os.spawnve(os.P_NOWAIT, program, [], {})).toThrow(refused);
    expect(() => os.spawnve(os.P_NOWAIT, program, [''], {})).toThrow(refused);
  });

  /** SpawnTests._test_invalid_env: CPython allows ValueError or exit code 127; here it is refused. */
  function testInvalidEnv(spawn: typeof os.spawnve): void {
    const program = process.execPath;
    const args = [program, '-e', ''];
    // null character in the environment variable name
    expect(() => spawn(os.P_WAIT, program, args, { ...process.env, 'FRUIT\0VEGETABLE': 'cabbage' })).toThrow(refused);
    // null character in the environment variable value
    expect(() => spawn(os.P_WAIT, program, args, { ...process.env, FRUIT: 'orange\0VEGETABLE=cabbage' })).toThrow(refused);
    // equal character in the environment variable name
    expect(() => spawn(os.P_WAIT, program, args, { ...process.env, 'FRUIT=ORANGE': 'lemon' })).toThrow(refused);
    // equal character in the environment variable value
    fs.writeFileSync(filename, 'if (process.env.FRUIT !== "orange=lemon") throw new Error("AssertionError");');
    expect(spawn(os.P_WAIT, program, [program, filename], { ...process.env, FRUIT: 'orange=lemon' })).toBe(0);
  }
  test('test_spawnve_invalid_env', () => testInvalidEnv(os.spawnve));
  test('test_spawnvpe_invalid_env', () => testInvalidEnv(os.spawnvpe));
});

describe('what Python defines beyond SpawnTests', () => {
  test('P_WAIT returns -signal for a child killed by a signal', () => {
    expect(os.spawnv(os.P_WAIT, '/bin/sh', ['sh', '-c', 'kill -TERM $$'])).toBe(-15);
  });

  test('P_NOWAITO is P_NOWAIT (1), P_WAIT is 0, as in Python on POSIX', () => {
    expect([os.P_WAIT, os.P_NOWAIT, os.P_NOWAITO]).toEqual([0, 1, 1]);
  });

  test("spawnvpe searches the PATH of env, not this process's", () => {
    fs.writeFileSync(path.join(dir, 'only-here'), '#!/bin/sh\nexit 5\n', { mode: 0o755 });
    expect(os.spawnvpe(os.P_WAIT, 'only-here', ['only-here'], { PATH: `/nonexistent:${dir}` })).toBe(5);
    expect(() => os.spawnvp(os.P_WAIT, 'only-here', ['only-here'])).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  test('a program that cannot be executed is thrown (where Python returns 127), with its path', () => {
    expect(() => os.spawnv(os.P_WAIT, '/no/such/program', ['x'])).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'posix_spawn', path: '/no/such/program' }),
    );
    fs.writeFileSync(path.join(dir, 'not-executable'), '');
    expect(() => os.spawnvpe(os.P_WAIT, 'not-executable', ['x'], { PATH: dir })).toThrow(expect.objectContaining({ code: 'EACCES' }));
  });

  test('arguments of the wrong type are refused before anything starts', () => {
    expect(() => os.spawnv('0' as unknown as number, '/bin/true', ['true'])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => os.spawnv(os.P_WAIT, '/bin/true', 'true' as unknown as string[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => os.spawnve(os.P_WAIT, '/bin/true', ['true'], [] as unknown as os.Environment)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
