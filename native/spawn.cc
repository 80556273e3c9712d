// Spawning with posix_spawn(3), as Python's os.posix_spawn, plus system(3) built on it.
// Man pages: posix_spawn(3), posix_spawn_file_actions_addopen(3),
// posix_spawn_file_actions_adddup2(3), posix_spawn_file_actions_addclosefrom_np(3),
// posix_spawnattr_setsigdefault(3), system(3), waitpid(2).
//
// What the spawned program must not inherit from Node (issue 2, DESIGN.md "The child side"):
// - signal dispositions: Node ignores SIGPIPE and SIGXFSZ, and SIG_IGN survives exec.
//   POSIX_SPAWN_SETSIGDEF with EVERY bit set, glibc's internal SIGCANCEL/SIGSETXID (32, 33)
//   included: glibc's child sets those to SIG_IGN unless they are in the default set
//   (sysdeps/unix/sysv/linux/spawni.c), and sigfillset(3) leaves them out.
// - the signal mask: POSIX_SPAWN_SETSIGMASK, empty unless the caller gave one.
// - file descriptors: libuv marks 0..2 FD_CLOEXEC, so each one that is open and close-on-exec
//   gets adddup2(fd, fd), which clears FD_CLOEXEC in the child (POSIX 2024, glibc >= 2.29).
//   The fds >= 3 the caller made inheritable (os.set_inheritable; TypeScript keeps the list,
//   as for exec) are passed while they are still without FD_CLOEXEC, as Python's posix_spawn
//   passes inheritable fds (issue 13; TestPosixSpawn.test_setsid hands a pipe over this way).
//   An fd some ancestor left inheritable is not: nobody asked for it here.
//   Every other fd is closed after the caller's actions: the non-target fds below the highest
//   kept one one by one, the rest with addclosefrom_np (glibc >= 2.34, close_range(2)) where
//   the libc it runs on has it, else one by one too.
// Exec failures: glibc >= 2.24 runs the child with CLONE_VFORK and returns the exec errno
// from posix_spawn itself (and reaps the failed child), so ENOENT/EACCES reach the caller.
#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "addon.h"

extern char** environ;

namespace unixproc {

// posix_spawn_file_actions_addclosefrom_np is glibc >= 2.34 only (musl has none), so it is
// looked up in the running libc (dlsym(3)), not linked: a binary linked to it would not
// load on an older glibc at all (a weak reference does not help: its symbol version is
// still required, native/glibc_versions.h). Null where the libc lacks it.
using AddCloseFromFn = int (*)(posix_spawn_file_actions_t*, int);

static AddCloseFromFn AddCloseFrom() {
  static const AddCloseFromFn fn = reinterpret_cast<AddCloseFromFn>(
      dlsym(RTLD_DEFAULT, "posix_spawn_file_actions_addclosefrom_np"));
  return fn;
}

// Python's os.POSIX_SPAWN_* action tags (Modules/posixmodule.c).
enum ActionKind { kOpen = 0, kClose = 1, kDup2 = 2, kCloseFrom = 3 };

struct SpawnAction {
  int kind = kClose;
  int fd = -1;
  int arg = 0;       // new fd (dup2) or open flags
  int mode = 0;      // open mode
  std::string path;  // open path
};

struct SpawnRequest {
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  bool inheritEnviron = true;  // envp not given: the caller's environ
  bool search = false;         // posix_spawnp
  std::vector<int> inheritable;  // fds >= 3 made inheritable by the caller
  std::vector<SpawnAction> actions;
  bool hasPgroup = false;  // POSIX_SPAWN_SETPGROUP with pgroup (any pid_t: the kernel judges it)
  int pgroup = 0;
  bool resetids = false;
  bool setsid = false;
  bool hasSigmask = false;
  std::vector<int> sigmask;
  bool hasScheduler = false;
  int schedPolicy = -1;  // -1: POSIX_SPAWN_SETSCHEDPARAM only
  int schedPriority = 0;
};

// RAII owners so that every return path destroys what it initialised.
struct FileActions {
  posix_spawn_file_actions_t fa;
  int rc;
  FileActions() { rc = posix_spawn_file_actions_init(&fa); }
  ~FileActions() {
    if (rc == 0) posix_spawn_file_actions_destroy(&fa);
  }
};
struct Attributes {
  posix_spawnattr_t attr;
  int rc;
  Attributes() { rc = posix_spawnattr_init(&attr); }
  ~Attributes() {
    if (rc == 0) posix_spawnattr_destroy(&attr);
  }
};

static bool IsOpen(int fd) { return fcntl(fd, F_GETFD) >= 0; }

static bool IsInheritable(int fd) {
  const int flags = fcntl(fd, F_GETFD);
  return flags >= 0 && !(flags & FD_CLOEXEC);
}

// Builds the file actions: stdio made inheritable, the caller's actions, then every other fd
// closed. Returns 0 or an errno.
static int BuildFileActions(const SpawnRequest& req, posix_spawn_file_actions_t* fa) {
  int rc;
  for (int fd = 0; fd <= 2; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC)) {
      if ((rc = posix_spawn_file_actions_adddup2(fa, fd, fd)) != 0) return rc;
    }
  }
  // The fds the program is meant to have: 0..2, the inheritable ones and the targets of the
  // caller's actions.
  std::set<int> keep{0, 1, 2};
  for (int fd : req.inheritable) {
    if (fd >= 3 && IsInheritable(fd)) keep.insert(fd);
  }
  for (const SpawnAction& a : req.actions) {
    switch (a.kind) {
      case kOpen:
        rc = posix_spawn_file_actions_addopen(fa, a.fd, a.path.c_str(), a.arg,
                                              static_cast<mode_t>(a.mode));
        keep.insert(a.fd);
        break;
      case kClose:
        rc = posix_spawn_file_actions_addclose(fa, a.fd);
        break;
      case kDup2:
        rc = posix_spawn_file_actions_adddup2(fa, a.fd, a.arg);
        keep.insert(a.arg);
        break;
      case kCloseFrom:
        rc = AddCloseFrom() != nullptr ? AddCloseFrom()(fa, a.fd) : ENOSYS;
        break;
      default:
        rc = EINVAL;
    }
    if (rc != 0) return rc;
  }
  const int highest = *keep.rbegin();
  // A close of an fd that the child does not have is not an error in glibc (spawni.c
  // ignores EBADF for in-range fds), so a fd closed by another thread meanwhile is harmless.
  for (int fd = 3; fd < highest; fd++) {
    if (keep.count(fd) == 0 && IsOpen(fd)) {
      if ((rc = posix_spawn_file_actions_addclose(fa, fd)) != 0) return rc;
    }
  }
  if (AddCloseFrom() != nullptr) return AddCloseFrom()(fa, highest + 1);
  // Older libcs: close what is open now; fds are O_CLOEXEC under libuv in any case.
  for (int fd = highest + 1; fd < 65536; fd++) {
    if (IsOpen(fd) && (rc = posix_spawn_file_actions_addclose(fa, fd)) != 0) return rc;
  }
  return 0;
}

static int BuildAttributes(const SpawnRequest& req, posix_spawnattr_t* attr) {
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  int rc;
  sigset_t all;
  // Every bit, glibc's internal signals included (see the file header); sigfillset would
  // leave 32 and 33 to be ignored in the child.
  std::memset(&all, 0xff, sizeof all);
  if ((rc = posix_spawnattr_setsigdefault(attr, &all)) != 0) return rc;
  sigset_t mask;
  sigemptyset(&mask);
  if (req.hasSigmask) {
    for (int s : req.sigmask) {
      if (sigaddset(&mask, s) != 0) return EINVAL;
    }
  }
  if ((rc = posix_spawnattr_setsigmask(attr, &mask)) != 0) return rc;
  if (req.hasPgroup) {
    flags |= POSIX_SPAWN_SETPGROUP;
    if ((rc = posix_spawnattr_setpgroup(attr, req.pgroup)) != 0) return rc;
  }
  if (req.resetids) flags |= POSIX_SPAWN_RESETIDS;
  if (req.setsid) flags |= POSIX_SPAWN_SETSID;
  if (req.hasScheduler) {
    struct sched_param param {};
    param.sched_priority = req.schedPriority;
    if (req.schedPolicy >= 0) {
      flags |= POSIX_SPAWN_SETSCHEDULER;
      if ((rc = posix_spawnattr_setschedpolicy(attr, req.schedPolicy)) != 0) return rc;
    } else {
      flags |= POSIX_SPAWN_SETSCHEDPARAM;
    }
    if ((rc = posix_spawnattr_setschedparam(attr, &param)) != 0) return rc;
  }
  return posix_spawnattr_setflags(attr, flags);
}

// Spawns as the request says. Returns 0 and sets *pid, or returns an errno.
static int SpawnProcess(SpawnRequest& req, pid_t* pid) {
  FileActions fa;
  if (fa.rc != 0) return fa.rc;
  Attributes attr;
  if (attr.rc != 0) return attr.rc;
  int rc = BuildFileActions(req, &fa.fa);
  if (rc != 0) return rc;
  if ((rc = BuildAttributes(req, &attr.attr)) != 0) return rc;
  std::vector<char*> argv = CStringVector(req.argv);
  std::vector<char*> envp;
  if (!req.inheritEnviron) envp = CStringVector(req.envp);
  char* const* env = req.inheritEnviron ? environ : envp.data();
  // posix_spawn returns its error (it does not set errno) and does not fail with EINTR.
  return req.search ? posix_spawnp(pid, req.path.c_str(), &fa.fa, &attr.attr, argv.data(), env)
                    : posix_spawn(pid, req.path.c_str(), &fa.fa, &attr.attr, argv.data(), env);
}

// Reads one file action: [OPEN, fd, path, flags, mode] (Python's order) | [CLOSE, fd] |
// [DUP2, fd, newfd] | [CLOSEFROM, fd]. False when it is not exactly that.
static bool ReadAction(Napi::Value value, SpawnAction* a) {
  if (value.IsEmpty() || !value.IsArray()) return false;
  Napi::Array t = value.As<Napi::Array>();
  const uint32_t length = t.Length();
  Napi::Value v[5];
  if (length < 2 || length > 5) return false;
  for (uint32_t k = 0; k < length; k++) {
    if (!ElementOf(t, k, &v[k])) return false;
  }
  if (!ToInt(v[0], &a->kind) || !ToInt(v[1], &a->fd)) return false;
  switch (a->kind) {
    case kOpen:
      return length == 5 && ToBytes(v[2], &a->path) && ToInt(v[3], &a->arg) &&
             ToInt(v[4], &a->mode);
    case kDup2:
      return length == 3 && ToInt(v[2], &a->arg);
    case kClose:
    case kCloseFrom:
      return length == 2;
    default:
      return false;
  }
}

static bool ReadIntArray(Napi::Value value, std::vector<int>* out) {
  if (value.IsEmpty() || !value.IsArray()) return false;
  Napi::Array array = value.As<Napi::Array>();
  const uint32_t length = array.Length();
  for (uint32_t i = 0; i < length; i++) {
    Napi::Value element;
    int n = 0;
    if (!ElementOf(array, i, &element) || !ToInt(element, &n)) return false;
    out->push_back(n);
  }
  return true;
}

// Reads the attrs object (see PosixSpawn) into req. False on any malformed member.
static bool ReadAttributes(Napi::Value value, SpawnRequest* req) {
  Napi::Object attrs = value.As<Napi::Object>();
  Napi::Value actions, pgroup, resetids, setsid, mask, sched;
  if (!PropertyOf(attrs, "actions", &actions) || !PropertyOf(attrs, "pgroup", &pgroup) ||
      !PropertyOf(attrs, "resetids", &resetids) || !PropertyOf(attrs, "setsid", &setsid) ||
      !PropertyOf(attrs, "sigmask", &mask) || !PropertyOf(attrs, "scheduler", &sched)) {
    return false;
  }
  if (!actions.IsArray()) return false;
  Napi::Array list = actions.As<Napi::Array>();
  const uint32_t count = list.Length();
  for (uint32_t i = 0; i < count; i++) {
    Napi::Value element;
    SpawnAction a;
    if (!ElementOf(list, i, &element) || !ReadAction(element, &a)) return false;
    req->actions.push_back(std::move(a));
  }
  // pgroup: null for none, else any int (a negative one is setpgid's EINVAL in the child,
  // reported by posix_spawn as Python reports it).
  req->hasPgroup = !pgroup.IsNull();
  if ((req->hasPgroup && !ToInt(pgroup, &req->pgroup)) || !ToBool(resetids, &req->resetids) ||
      !ToBool(setsid, &req->setsid)) {
    return false;
  }
  if (!mask.IsNull()) {
    if (!ReadIntArray(mask, &req->sigmask)) return false;
    req->hasSigmask = true;
  }
  if (!sched.IsNull()) {
    std::vector<int> s;
    if (!ReadIntArray(sched, &s) || s.size() != 2) return false;
    req->hasScheduler = true;
    req->schedPolicy = s[0];
    req->schedPriority = s[1];
  }
  return true;
}

// posixSpawn(path, argv, envp | null, search, attrs | null, inheritable) -> pid or -errno,
// inheritable being the fds >= 3 the caller made inheritable (passed if still so), where path,
// each argv entry and each envp entry is a string or a Buffer (bytes passed as they are),
// and attrs is
// { actions: [[OPEN, fd, path, flags, mode] | [CLOSE, fd] | [DUP2, fd, newfd] | [CLOSEFROM, fd]...], pgroup (null: none), resetids, setsid,
//   sigmask: number[] | null, scheduler: [policy (-1: param only), priority] | null }.
// Every value is read and checked before anything is spawned: -EINVAL when one is malformed.
static Napi::Value PosixSpawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SpawnRequest req;
  if (!ToBytes(info[0], &req.path) || !ArgStringArray(info, 1, &req.argv) || req.argv.empty() ||
      !ToBool(info[3], &req.search)) {
    return NegErrno(env, EINVAL);
  }
  if (!info[2].IsNull()) {
    if (!ArgStringArray(info, 2, &req.envp)) return NegErrno(env, EINVAL);
    req.inheritEnviron = false;
  }
  if (!info[4].IsNull()) {
    if (!info[4].IsObject() || !ReadAttributes(info[4], &req)) return NegErrno(env, EINVAL);
  }
  // Absent (older callers, the contract tests): none.
  if (!info[5].IsUndefined() && !ReadIntArray(info[5], &req.inheritable)) return NegErrno(env, EINVAL);
  pid_t pid = -1;
  int rc = SpawnProcess(req, &pid);
  if (rc != 0) return NegErrno(env, rc);
  return Napi::Number::New(env, pid);
}

// system(command) -> wait status or -errno: /bin/sh -c command, waited for by pid, with
// SIGINT and SIGQUIT ignored in the caller meanwhile, as system(3) does (the shell gets them
// at default: a ^C ends the command, not the caller). The old dispositions, whatever handler
// libuv had installed, are put back exactly. SIGCHLD is not blocked as system(3) would: the
// wait is by pid, and libuv's SIGCHLD handler only wakes its loop, which reaps its own pids.
static Napi::Value System(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SpawnRequest req;
  req.path = "/bin/sh";
  std::string command;
  if (!ToBytes(info[0], &command)) return NegErrno(env, EINVAL);
  req.argv = {"sh", "-c", command};
  struct sigaction ignore {}, oldInt {}, oldQuit {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGINT, &ignore, &oldInt);
  sigaction(SIGQUIT, &ignore, &oldQuit);
  pid_t pid = -1;
  int rc = SpawnProcess(req, &pid);
  int status = 0;
  if (rc == 0) {
    if (RetryEintr([&] { return waitpid(pid, &status, 0); }) < 0) rc = errno;
  }
  sigaction(SIGINT, &oldInt, nullptr);
  sigaction(SIGQUIT, &oldQuit, nullptr);
  if (rc != 0) return NegErrno(env, rc);
  return Napi::Number::New(env, status);
}

void InitSpawn(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "posixSpawn", PosixSpawn);
  Export(env, exports, "system", System);
}

}  // namespace unixproc
