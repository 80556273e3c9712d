// Placeholder: the helper that owns `unixproc daemons` replaces this file.
import type { Command } from './command';

export const command: Command = {
  summary: '(daemons: not built yet)',
  usage: 'usage: unixproc daemons',
  run: async () => {
    throw new Error('unixproc daemons is not built yet');
  },
};
