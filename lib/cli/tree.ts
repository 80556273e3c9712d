// Placeholder: the helper that owns `unixproc tree` replaces this file.
import type { Command } from './command';

export const command: Command = {
  summary: '(tree: not built yet)',
  usage: 'usage: unixproc tree',
  run: async () => {
    throw new Error('unixproc tree is not built yet');
  },
};
