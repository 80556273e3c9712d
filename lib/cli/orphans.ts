// Placeholder: the helper that owns `unixproc orphans` replaces this file.
import type { Command } from './command';

export const command: Command = {
  summary: '(orphans: not built yet)',
  usage: 'usage: unixproc orphans',
  run: async () => {
    throw new Error('unixproc orphans is not built yet');
  },
};
