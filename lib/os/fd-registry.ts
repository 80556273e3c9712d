/**
 * Which fds >= 3 the user made inheritable (`set_inheritable(fd, true)`): the exec family
 * keeps these open in the new program and marks every other fd close-on-exec.
 * Not re-exported from `unixproc/os`: modules of this library that create inheritable fds
 * (as Python's `dup2(..., inheritable=True)` does) call {@link markInheritable}.
 * @internal
 */
const inheritable = new Set<number>();

/** The fds >= 3 made inheritable, ascending. @internal */
export function inheritableFds(): number[] {
  return [...inheritable].sort((x, y) => x - y);
}

/** Records whether `fd` is meant to survive exec. fds 0..2 always do. @internal */
export function markInheritable(fd: number, value: boolean): void {
  if (fd < 3) return;
  if (value) inheritable.add(fd);
  else inheritable.delete(fd);
}
