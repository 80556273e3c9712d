// One spawnChild request (native/child.cc), read out of JS into memory of its own, so that
// it can be run on the spawn queue's thread (native/spawn_queue.cc) as well as in the call.
#ifndef UNIXPROC_CHILD_JOB_H
#define UNIXPROC_CHILD_JOB_H

#include <sys/resource.h>
#include <sys/types.h>

#include <vector>

#include "addon.h"
#include "exec_request.h"

namespace unixproc {

constexpr size_t kChildConfigLength = 13;  // ConfigLength in native/child.cc
constexpr size_t kMaxRlimits = 32;

struct ChildJob {
  ExecRequest req;  // strings of its own (ExecRequest's config is dropped once read)
  int config[kChildConfigLength];  // missing optional entries are -1
  std::vector<gid_t> groups;
  size_t rlimit_count = 0;
  int rlimit_resource[kMaxRlimits];
  struct rlimit rlimit_value[kMaxRlimits];
};

struct ChildResult {
  int sys_err = 0;  // no child was made: this errno
  int err = 0;      // a step failed in the child (reaped): its errno and step
  int step = 0;
  pid_t pid = -1;
  int pidfd = -1;
  int fds[3] = {-1, -1, -1};
};

// info as spawnChild's (candidates, argv, envp, cwd, config, extraEnv, limits, groups): 0 or EINVAL.
int ReadChildJob(const Napi::CallbackInfo& info, ChildJob* job);
// Any thread, no JS.
void RunChildJob(ChildJob& job, ChildResult* out);
Napi::Value ChildResultToJs(Napi::Env env, const ChildResult& r);

}  // namespace unixproc

#endif  // UNIXPROC_CHILD_JOB_H
