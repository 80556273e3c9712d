// Parking the V8 platform's worker threads and libuv's threadpool around a fork.
#ifndef UNIXPROC_PARK_H
#define UNIXPROC_PARK_H

#include <uv.h>

#include <condition_variable>
#include <memory>
#include <mutex>

namespace unixproc {

// Threads parked in one of our tasks wait here, holding nothing of Node's or V8's.
struct ParkState {
  std::mutex mutex;
  std::condition_variable cv;
  int parked = 0;
  bool released = false;
};

// Posts blocking tasks to the V8 platform's worker threads and waits until each thread
// runs one. Returns the state to release (nullptr: nothing to park); *timed_out when the
// workers did not all arrive within timeout_ms (the caller releases them and fails).
std::shared_ptr<ParkState> ParkWorkers(int timeout_ms, bool* timed_out);

// Queues one blocking work item per threadpool thread (n of them) and waits until every
// thread runs one. Returns the state to release; *timed_out when the pool stayed busy.
std::shared_ptr<ParkState> ParkPool(uv_loop_t* loop, int n, int timeout_ms, bool* timed_out);

// Queues one slow-I/O item (libuv's getaddrinfo/getnameinfo queue) and waits until a pool
// thread has run it: every slow item queued before it has then been taken. Returns false
// when it did not run within timeout_ms (the caller fails with EBUSY).
bool WaitSlowWork(uv_loop_t* loop, int timeout_ms);

// Lets every thread parked on state go (state may be nullptr).
void ReleaseWorkers(const std::shared_ptr<ParkState>& state);

// libuv's threadpool size (UV_THREADPOOL_SIZE, read once by libuv).
int PoolSize();

// Called in a forked child: the platform's worker threads do not exist there.
void ForgetPlatformWorkers();

}  // namespace unixproc

#endif  // UNIXPROC_PARK_H
