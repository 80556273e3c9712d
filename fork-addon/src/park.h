// Parking the V8 platform's worker threads and libuv's threadpool around a fork.
#ifndef UNIXPROC_PARK_H
#define UNIXPROC_PARK_H

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <utility>

namespace unixproc {

// Threads parked in one of our tasks wait here, holding nothing of Node's or V8's.
// libuv's mutex and condvar (uv_cond_timedwait waits on CLOCK_MONOTONIC), not the C++
// library's: std::condition_variable's wait_for calls pthread_cond_clockwait (glibc 2.34)
// and its wait names GLIBCXX_3.4.30, which tie a prebuilt binary to the newest systems
// (native/glibc_versions.h). Shared by the forking thread and every parked task, counted
// by ParkRef.
struct ParkState {
  ParkState() {
    uv_mutex_init(&mutex);
    uv_cond_init(&cv);
  }
  ~ParkState() {
    uv_cond_destroy(&cv);
    uv_mutex_destroy(&mutex);
  }
  ParkState(const ParkState&) = delete;
  ParkState& operator=(const ParkState&) = delete;

  uv_mutex_t mutex;
  uv_cond_t cv;
  int parked = 0;
  bool released = false;
  std::atomic<int> refs{1};
};

// A counted reference to a ParkState. Not std::shared_ptr: libstdc++'s count reads
// __libc_single_threaded (glibc 2.32) and std::make_shared names GLIBCXX_3.4.26.
class ParkRef {
 public:
  ParkRef() = default;
  ParkRef(std::nullptr_t) {}  // implicit, so that `return nullptr` means nothing to park
  static ParkRef New() { return ParkRef(new ParkState()); }
  ParkRef(const ParkRef& other) : state_(other.state_) {
    if (state_ != nullptr) state_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  ParkRef(ParkRef&& other) noexcept : state_(other.state_) { other.state_ = nullptr; }
  ParkRef& operator=(ParkRef other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~ParkRef() {
    if (state_ != nullptr && state_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete state_;
    }
  }
  ParkState* get() const { return state_; }
  ParkState* operator->() const { return state_; }
  explicit operator bool() const { return state_ != nullptr; }

 private:
  explicit ParkRef(ParkState* state) : state_(state) {}
  ParkState* state_ = nullptr;
};

// Posts blocking tasks to the V8 platform's worker threads and waits until each thread
// runs one. Returns the state to release (nullptr: nothing to park); *timed_out when the
// workers did not all arrive within timeout_ms (the caller releases them and fails).
ParkRef ParkWorkers(int timeout_ms, bool* timed_out);

// Queues one blocking work item per threadpool thread (n of them) and waits until every
// thread runs one. Returns the state to release; *timed_out when the pool stayed busy.
ParkRef ParkPool(uv_loop_t* loop, int n, int timeout_ms, bool* timed_out);

// Queues one slow-I/O item (libuv's getaddrinfo/getnameinfo queue) and waits until a pool
// thread has run it: every slow item queued before it has then been taken. Returns false
// when it did not run within timeout_ms (the caller fails with EBUSY).
bool WaitSlowWork(uv_loop_t* loop, int timeout_ms);

// Lets every thread parked on state go (state may be nullptr).
void ReleaseWorkers(const ParkRef& state);

// libuv's threadpool size (UV_THREADPOOL_SIZE, read once by libuv).
int PoolSize();

// Called in a forked child: the platform's worker threads do not exist there.
void ForgetPlatformWorkers();

}  // namespace unixproc

#endif  // UNIXPROC_PARK_H
