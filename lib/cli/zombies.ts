// Placeholder: the helper that owns `unixproc zombies` replaces this file.
import type { Command } from './command';

export const command: Command = {
  summary: '(zombies: not built yet)',
  usage: 'usage: unixproc zombies',
  run: async () => {
    throw new Error('unixproc zombies is not built yet');
  },
};
