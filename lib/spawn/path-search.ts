/**
 * execvp's PATH search, done in the parent before the child is started (as CPython's
 * subprocess does): the child then tries each candidate in turn with execve(2), with
 * execvpe's error rules (native/child.cc). Nothing is stat'ed here, so there is no race
 * between a check and the exec.
 * @internal
 */

/** glibc's default search path when PATH is unset (confstr(_CS_PATH) is "/bin:/usr/bin"). */
const DEFAULT_PATH = '/bin:/usr/bin';

/** The PATH to search: the child's own (in its env) when it has one, else this process's. */
export function searchPath(env: readonly string[]): string {
  for (let i = env.length - 1; i >= 0; i--) {
    if (env[i].startsWith('PATH=')) return env[i].slice(5);
  }
  return DEFAULT_PATH;
}

/**
 * The paths execve will be tried on, in order: `file` itself when it contains a slash;
 * else each PATH entry joined with it (an empty entry means the child's working
 * directory, as in execvp(3)). A Buffer `file` keeps its bytes (joined as bytes).
 */
export function execCandidates(file: string | Buffer, path: string): (string | Buffer)[] {
  const SLASH = 0x2f;
  if (typeof file === 'string' ? file.includes('/') : file.includes(SLASH)) return [file];
  return path.split(':').map((dir) => {
    if (dir === '') return file;
    const prefix = `${dir.replace(/\/+$/, '')}/`;
    return typeof file === 'string' ? prefix + file : Buffer.concat([Buffer.from(prefix), file]);
  });
}
