// The dispatcher: --help wherever it is among a command's own options, for every command;
// never after a bare `--`, where another program's arguments begin.
import { runCli } from '../helpers/cli-run';

test.each([
  [['guard', '--json', '--help']],
  [['guard', '--grace', '100', '-h', '--', 'true']],
  [['supervise', '--restart', 'always', '--help']],
  [['ps', '--state', 'Z', '--help']],
])('%j prints the usage and exits 0', async (argv) => {
  const r = await runCli(argv);
  expect([r.code, r.stdout.split('\n')[0], r.stderr]).toEqual([0, expect.stringMatching(new RegExp(`^usage: unixproc ${argv[0]}`)), '']);
});

test('a --help after -- belongs to the command run, not to unixproc', async () => {
  // Taken as the program to run: there is none by that name, so nothing starts.
  const r = await runCli(['guard', '--', '--help']);
  expect(r).toEqual({ code: 127, stdout: '', stderr: 'unixproc guard: --help: command not found\n' });
});
