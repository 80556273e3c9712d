// Placeholder: the helper that owns `unixproc ps` replaces this file.
import type { Command } from './command';

export const command: Command = {
  summary: '(ps: not built yet)',
  usage: 'usage: unixproc ps',
  run: async () => {
    throw new Error('unixproc ps is not built yet');
  },
};
