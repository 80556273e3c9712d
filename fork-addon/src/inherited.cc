// What a forked child inherits from its parent's event loop but must not act on.
//
// The child's loop is a copy of the parent's, with every handle the parent had open. Two
// kinds of them watch the parent's own children, which are not the child's:
// - uv_process_t handles (child_process children): libuv reaps them with
//   waitpid(pid, WNOHANG), which in the child fails with ECHILD, a failure libuv ignores
//   (unix/process.c uv__wait_children): the handle stays active and keeps the child's loop
//   alive for ever.
// - uv_poll_t handles on a pidfd of one of the parent's children (unixproc's spawn() exit
//   watch, waitForExit): the child would stay alive until that sibling exits, and its
//   callback would then fail with ECHILD.
// A third kind holds the parent's output: a stream's queue of writes libuv had not finished
// (stdout on a pipe the reader has not emptied, a socket the parent is writing to). The
// parent writes those bytes; the child's copy of the queue would write them a second time.
// In the child each queued write is completed without writing (below).
// In the child the first two are made inactive, once, right after uv_loop_fork: they no longer keep
// the loop alive and never call back. They stay open, so that the JS objects that own them
// (ProcessWrap, the exit watch) may still close them, which libuv then does as for any
// stopped handle. Everything else (sockets, timers, the child's own handles) is untouched.
//
// Reading libuv's handle flags ties this to libuv's private layout (1.46: UV_HANDLE_ACTIVE
// is 0x4 in uv-common.h); the fork addon is built for one Node anyway, and the flag is
// checked through uv_is_active before it is relied upon.
#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "inherited.h"

namespace unixproc {

namespace {

constexpr unsigned int kHandleActive = 0x4;  // UV_HANDLE_ACTIVE, libuv 1.46 uv-common.h

// The pid in "<key>\t<n>" of a small /proc text file, or 0.
long ReadProcField(const char* path, const char* key) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[4096];
  ssize_t n;
  do n = read(fd, buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  size_t klen = strlen(key);
  for (char* line = buf; line != nullptr && *line != '\0';) {
    if (strncmp(line, key, klen) == 0) return strtol(line + klen, nullptr, 10);
    line = strchr(line, '\n');
    if (line != nullptr) line++;
  }
  return 0;
}

// Whether fd is a pidfd (pidfd_open(2)) of a child of parent_pid.
bool IsPidfdOfChildOf(int fd, pid_t parent_pid) {
  char path[64], target[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  if (strcmp(target, "anon_inode:[pidfd]") != 0) return false;
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  long pid = ReadProcField(path, "Pid:");
  if (pid <= 0) return false;  // reaped already (-1): waiting on it ends at once anyway
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  return ReadProcField(path, "PPid:") == parent_pid;
}

// Makes an active handle inactive the way libuv's uv__handle_stop does: out of the loop's
// active count, ACTIVE flag cleared, its ref/unref state kept.
void Deactivate(uv_handle_t* h) {
  if (!uv_is_active(h)) return;
  bool ref = uv_has_ref(h) != 0;
  uv_unref(h);  // an active, referenced handle leaves loop->active_handles here
  h->flags &= ~kHandleActive;
  if (uv_is_active(h)) {  // not libuv's layout after all: leave it be (referenced as before)
    h->flags |= kHandleActive;
    if (ref) uv_ref(h);
    return;
  }
  if (ref) uv_ref(h);  // inactive: no count changes, a later uv_unref/uv_ref stays balanced
}

struct WalkState {
  pid_t parent_pid;
  int processes;
  int polls;
  int writes;
};

// Leaves every queued write of stream s with nothing left to write: each request's last
// buffer is made empty and current, so that libuv's next write attempt (when the fd is
// writable: the write watcher stays armed) writes 0 bytes, finds the request complete
// and runs its callback with status 0, as if it had been written. The bytes are the
// parent's to write.
int DropQueuedWrites(uv_stream_t* s) {
  int dropped = 0;
  struct uv__queue* head = &s->write_queue;
  for (struct uv__queue* q = head->next; q != head; q = q->next) {
    char* base = reinterpret_cast<char*>(q) - offsetof(uv_write_t, queue);
    auto* req = reinterpret_cast<uv_write_t*>(base);
    if (req->nbufs == 0 || req->bufs == nullptr) continue;
    req->write_index = req->nbufs - 1;
    req->bufs[req->nbufs - 1].len = 0;
    dropped++;
  }
  s->write_queue_size = 0;
  return dropped;
}

void OnHandle(uv_handle_t* h, void* arg) {
  auto* state = static_cast<WalkState*>(arg);
  if (uv_is_closing(h)) return;
  if (h->type == UV_NAMED_PIPE || h->type == UV_TCP || h->type == UV_TTY) {
    state->writes += DropQueuedWrites(reinterpret_cast<uv_stream_t*>(h));
    return;
  }
  if (!uv_is_active(h)) return;
  if (h->type == UV_PROCESS) {
    // Out of the loop's process list too: the child's SIGCHLD processing then never
    // waitpid()s the sibling's pid.
    auto* p = reinterpret_cast<uv_process_t*>(h);
    p->queue.prev->next = p->queue.next;
    p->queue.next->prev = p->queue.prev;
    p->queue.next = &p->queue;
    p->queue.prev = &p->queue;
    Deactivate(h);
    state->processes++;
  } else if (h->type == UV_POLL) {
    uv_os_fd_t fd = -1;
    if (uv_fileno(h, &fd) != 0 || fd < 0) return;
    if (!IsPidfdOfChildOf(fd, state->parent_pid)) return;
    uv_poll_stop(reinterpret_cast<uv_poll_t*>(h));
    state->polls++;
  }
}

}  // namespace

int NeutraliseInheritedHandles(uv_loop_t* loop, pid_t parent_pid) {
  WalkState state{parent_pid, 0, 0, 0};
  uv_walk(loop, OnHandle, &state);
  return state.processes + state.polls + state.writes;
}

}  // namespace unixproc
