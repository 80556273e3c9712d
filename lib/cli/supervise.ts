// Placeholder: the helper that owns `unixproc supervise` replaces this file.
import type { Command } from './command';

export const command: Command = {
  summary: '(supervise: not built yet)',
  usage: 'usage: unixproc supervise',
  run: async () => {
    throw new Error('unixproc supervise is not built yet');
  },
};
