/**
 * `npm start`: a short tour of what the library does, printed.
 * @internal
 */
import * as os from './os/index';

function main(): void {
  console.log('unixproc tour');
  console.log(`  this process: pid ${os.getpid()}, ppid ${os.getppid()}, pgid ${os.getpgrp()}, sid ${os.getsid(0)}`);
}

main();
