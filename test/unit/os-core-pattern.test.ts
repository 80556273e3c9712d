// When the core-dump tests of os-wait.test.ts run: only where a core lands in the temp dir.
import { coreDumpSkipReason } from '../helpers/os-core-children';

test.each(['core', 'core.%e.%p', '%e.core'])('core_pattern %p (a file in the working directory) runs them', (pattern) => {
  expect(coreDumpSkipReason(pattern)).toBeUndefined();
});

test('a core_pattern piping to a program skips them, saying so', () => {
  expect(coreDumpSkipReason('|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h')).toBe(
    'core_pattern pipes cores to a program (|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h)',
  );
});

test('a core_pattern with a directory skips them, saying so', () => {
  expect(coreDumpSkipReason('/var/crash/core.%p')).toBe('core_pattern writes cores outside the working directory (/var/crash/core.%p)');
});

test('a relative core_pattern with a directory skips them too', () => {
  expect(coreDumpSkipReason('cores/core')).toBe('core_pattern writes cores outside the working directory (cores/core)');
});
