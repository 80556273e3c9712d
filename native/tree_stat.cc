// The processes of one tree, read in one native pass for lib/contain (members, usage): the
// descendants of a pid found through /proc/<pid>/task/<tid>/children (no scan of all of
// /proc), or a given list of pids (a cgroup's cgroup.procs), each with the fields of
// /proc/<pid>/stat and /proc/<pid>/statm that containment needs. A process that vanishes
// mid-read is left out (ENOENT/ESRCH: gone).
// See proc(5) /proc/pid/stat (the last-')' rule: comm may hold spaces and parentheses),
// /proc/pid/statm, /proc/pid/task/tid/children (CONFIG_PROC_CHILDREN).
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "addon.h"

namespace unixproc {

// Fields per process in the result (mirrored in lib/contain/tree-stat.ts).
enum TreeField { TfPid = 0, TfStartTime, TfState, TfUtime, TfStime, TfThreads, TfRssPages, TfWidth };

// Reads a small /proc file into buf (NUL-terminated). Returns its length or -1.
static ssize_t ReadSmall(const char* path, char* buf, size_t size) {
  int fd = RetryEintr([&] { return open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); });
  if (fd < 0) return -1;
  ssize_t n = RetryEintr([&] { return read(fd, buf, size - 1); });
  close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

static void ChildrenOf(pid_t pid, std::vector<char>& buffer, std::vector<pid_t>* out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR* dir = opendir(path);
  if (dir == nullptr) return;
  char* buf = buffer.data();
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char file[320];
    snprintf(file, sizeof file, "/proc/%d/task/%s/children", pid, e->d_name);
    if (ReadSmall(file, buf, buffer.size()) <= 0) continue;
    char* p = buf;
    while (*p != '\0') {
      char* end = nullptr;
      long v = strtol(p, &end, 10);
      if (end == p) break;
      out->push_back(static_cast<pid_t>(v));
      p = end;
      while (*p == ' ' || *p == '\n') p++;
    }
  }
  closedir(dir);
}

// One process's fields, or false when it is gone.
static bool ReadProcess(pid_t pid, double* f) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  if (ReadSmall(path, buf, sizeof buf) <= 0) return false;
  char* close_paren = strrchr(buf, ')');
  if (close_paren == nullptr || close_paren[1] == '\0') return false;
  // Field 3 (state) starts two characters after the last ')'.
  char* p = close_paren + 2;
  const char state = *p;
  // Fields 14 utime, 15 stime, 20 num_threads, 22 starttime: count spaces from field 3.
  unsigned long long value[23] = {0};
  int field = 3;
  while (*p != '\0' && field <= 22) {
    char* next = strchr(p, ' ');
    if (field >= 4) value[field] = strtoull(p, nullptr, 10);
    if (next == nullptr) break;
    p = next + 1;
    field++;
  }
  if (field < 22) return false;
  snprintf(path, sizeof path, "/proc/%d/statm", pid);
  unsigned long long size = 0, resident = 0;
  if (ReadSmall(path, buf, sizeof buf) <= 0 || sscanf(buf, "%llu %llu", &size, &resident) != 2) return false;
  f[TfPid] = pid;
  f[TfStartTime] = static_cast<double>(value[22]);
  f[TfState] = state;
  f[TfUtime] = static_cast<double>(value[14]);
  f[TfStime] = static_cast<double>(value[15]);
  f[TfThreads] = static_cast<double>(value[20]);
  f[TfRssPages] = static_cast<double>(resident);
  return true;
}

// treeStat(root, includeRoot, pids | null) -> Float64Array (TfWidth per process) or -errno.
// With pids null: root's descendants (and root itself when includeRoot), parents first.
static Napi::Value TreeStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int root = 0;
  bool include_root = false;
  if (!ArgInt(info, 0, &root) || !ToBool(info[1], &include_root)) return NegErrno(env, EINVAL);
  std::vector<pid_t> pids;
  if (info[2].IsNull() || info[2].IsUndefined()) {
    if (include_root) pids.push_back(root);
    std::vector<char> buffer(65536);  // a children file: pids separated by spaces
    std::vector<pid_t> queue;
    ChildrenOf(root, buffer, &queue);
    for (size_t i = 0; i < queue.size() && queue.size() < 1000000; i++) {
      pids.push_back(queue[i]);
      ChildrenOf(queue[i], buffer, &queue);
    }
  } else {
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      return NegErrno(env, EINVAL);
    }
    Napi::Int32Array list = info[2].As<Napi::Int32Array>();
    for (size_t i = 0; i < list.ElementLength(); i++) pids.push_back(list[i]);
  }
  std::vector<double> values;
  values.reserve(pids.size() * TfWidth);
  double f[TfWidth];
  for (pid_t p : pids) {
    if (p <= 0 || !ReadProcess(p, f)) continue;
    values.insert(values.end(), f, f + TfWidth);
  }
  Napi::Float64Array out = Napi::Float64Array::New(env, values.size());
  if (!values.empty()) memcpy(out.Data(), values.data(), values.size() * sizeof(double));
  return out;
}

void InitTreeStat(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "treeStat", TreeStat);
}

}  // namespace unixproc
