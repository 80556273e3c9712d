// Placeholder: the helper that owns `unixproc guard` replaces this file.
import type { Command } from './command';

export const command: Command = {
  summary: '(guard: not built yet)',
  usage: 'usage: unixproc guard',
  run: async () => {
    throw new Error('unixproc guard is not built yet');
  },
};
