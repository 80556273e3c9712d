// Handles a forked child inherits but must not act on (inherited.cc).
#ifndef UNIXPROC_INHERITED_H
#define UNIXPROC_INHERITED_H

#include <sys/types.h>
#include <uv.h>

namespace unixproc {

// In a forked child, after uv_loop_fork: makes inactive every uv_process_t handle and every
// uv_poll_t on a pidfd of a child of parent_pid (the parent's children are not this
// process's), and completes without writing every write queued on a stream (the parent
// writes those bytes). Returns how many handles and writes it changed.
int NeutraliseInheritedHandles(uv_loop_t* loop, pid_t parent_pid);

}  // namespace unixproc

#endif  // UNIXPROC_INHERITED_H
