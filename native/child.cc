// Starting a child with options: clone(2) + execve(2), the child side in C.
//
// spawnChild(candidates, argv, envp, cwd, config, extraEnv, limits) where
//   candidates  paths to try with execve, in order (execvpe semantics; the PATH search is
//               done in TypeScript before the call, as CPython's _posixsubprocess does);
//   argv, envp  string arrays, copied to C before the clone (envp is built from the JS
//               process.env, not environ(7): in worker threads and sandboxes they differ);
//               an element (and a candidate) may be a Buffer: its bytes, unchanged;
//   extraEnv    optional "KEY=value" strings that replace the same keys of envp;
//   limits      optional Float64Array of [resource, soft, hard] triples set with
//               setrlimit(2) in the child (Infinity: RLIM_INFINITY), or null;
//   cwd         directory to chdir to in the child (string or Buffer), "" for none;
//   config      Int32Array, see the Config* indices below;
//   groups      optional Uint32Array: with FlagSetgroups, the supplementary group list
//               given to setgroups(2) (already resolved from names by lib/spawn/credentials.ts,
//               in the parent: NSS is not async-signal-safe), or null.
// Returns [pid, pidfd, stdinFd, stdoutFd, stderrFd] (-1 where there is none), or, when a
// step failed, [-errno, step] with the child already reaped (waitpid on its pid).
//
// How the child is made (measured in bench/spawn-throughput.js, docs/spawning.md):
// clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) on a separate stack, as glibc's posix_spawn
// does: no page-table copy of the (large) Node process, so it costs a fraction of fork().
// The calling thread is suspended until the child execs or exits; other threads keep
// running. What makes sharing the address space safe:
// - argv/envp/paths are built before the clone and never written by the child;
// - every signal (glibc's internal ones too) is blocked in the parent thread across the
//   clone, so no handler of the parent can run in the child (which shares its memory)
//   before the child has reset every disposition to SIG_DFL (its handler table is its
//   own: no CLONE_SIGHAND);
// - the child calls only async-signal-safe functions (signal-safety(7)) and raw syscalls
//   for credentials (glibc's setuid() would broadcast to the parent's threads, see nptl(7));
// - the child reports a failure by writing errno + step into the caller's memory, which
//   the caller reads once the kernel has resumed it (exec done or child exited).
// With config[ConfigFlags] & FlagFork the child is a copy instead (no CLONE_VM): then the
// failure travels through a CLOEXEC pipe, as in libuv and CPython. Kept for measurement.
//
// The child's sequence follows libuv's uv__process_child_init: signals to default, session
// and group, stdio, close every other fd, cwd, resource limits, credentials, parent-death signal (after the
// credentials: changing them clears it, prctl(2)), empty signal mask, execve.
//
// See clone(2), execve(2), pidfd_open(2), prctl(2), close_range(2), credentials(7).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cmath>
#include <cstring>

#include "addon.h"
#include "child_setup.h"
#include "child_job.h"
#include "exec_request.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

// clone3(2) with CLONE_INTO_CGROUP (Linux 5.7): the child is created in its containment
// cgroup, so it need not write its cgroup.procs before exec. That write migrates the
// writer, which waits for the cgroup threadgroup lock's writer side: 520-545 us against
// 32-39 us from vfork to exec in a C loop here, all of it with the event loop's thread
// suspended (CLONE_VFORK). glibc exports no clone3, and with CLONE_VM the child runs on
// its own stack from the instruction after the syscall, so a small trampoline calls the
// child's function there (as glibc's internal __clone3 does). Where clone3 fails
// (ENOSYS: a kernel before 5.3, or a seccomp profile that refuses it as Docker's does;
// EINVAL/E2BIG before 5.7; anything else), clone(2) and the write are used instead.
// x86_64 only for now: an aarch64 trampoline could not be run here (qemu-user is the only
// arm64 this project can test on), so arm64 keeps the cgroup.procs write.
#if defined(__x86_64__)
#define UNIXPROC_HAVE_CLONE3_RUN 1
struct Clone3Args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
static_assert(sizeof(Clone3Args) == 88, "clone_args, CLONE_ARGS_SIZE_VER2");
constexpr uint64_t kCloneIntoCgroup = 0x200000000ULL;
// Returns the child's pid (or -errno) in the parent; in the child calls fn(arg) on the new
// stack and exits with its result (ChildMain never returns: it execs or _exits).
extern "C" long unixproc_clone3_run(Clone3Args* args, size_t size, int (*fn)(void*), void* arg);
asm(".pushsection .text\n"
    ".globl unixproc_clone3_run\n"
    ".hidden unixproc_clone3_run\n"
    ".type unixproc_clone3_run,@function\n"
    "unixproc_clone3_run:\n"
    "  mov %rdx, %r8\n"      // fn and arg survive the syscall in r8/r9 (and are copied to the child)
    "  mov %rcx, %r9\n"
    "  mov $435, %eax\n"     // __NR_clone3
    "  syscall\n"
    "  test %rax, %rax\n"
    "  jz 1f\n"
    "  ret\n"
    "1:\n"
    "  xor %ebp, %ebp\n"
    "  mov %r9, %rdi\n"
    "  call *%r8\n"
    "  mov %eax, %edi\n"
    "  mov $60, %eax\n"      // __NR_exit
    "  syscall\n"
    "  hlt\n"
    ".size unixproc_clone3_run, .-unixproc_clone3_run\n"
    ".popsection\n");

// An O_PATH descriptor of the directory of the cgroup.procs file open as `procs_fd`, or -1.
static int CgroupDirOf(int procs_fd) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", procs_fd);
  char path[4096];
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0 || n >= static_cast<ssize_t>(sizeof path - 1)) return -1;
  path[n] = '\0';
  char* slash = strrchr(path, '/');
  if (slash == nullptr || strcmp(slash, "/cgroup.procs") != 0) return -1;
  *slash = '\0';
  return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}
#endif

// On i386 and 32-bit ARM, SYS_setuid/SYS_setgid/SYS_setgroups are the old 16-bit calls
// (ids above 65535 cannot be named); the *32 calls take full 32-bit ids. glibc's own
// wrappers pick them the same way. Elsewhere only the 32-bit calls exist, unsuffixed.
#ifdef SYS_setuid32
#define UNIXPROC_SYS_SETUID SYS_setuid32
#else
#define UNIXPROC_SYS_SETUID SYS_setuid
#endif
#ifdef SYS_setgid32
#define UNIXPROC_SYS_SETGID SYS_setgid32
#else
#define UNIXPROC_SYS_SETGID SYS_setgid
#endif
#ifdef SYS_setgroups32
#define UNIXPROC_SYS_SETGROUPS SYS_setgroups32
#else
#define UNIXPROC_SYS_SETGROUPS SYS_setgroups
#endif

namespace unixproc {

// Indices into the config Int32Array (mirrored in lib/spawn/native-child.ts).
enum ConfigIndex {
  ConfigStdin = 0,    // per stream: >= 0 an fd to give, or one of the Stdio* values
  ConfigStdout = 1,
  ConfigStderr = 2,
  ConfigSetsid = 3,   // 1: setsid()
  ConfigPgid = 4,     // -1: keep; 0: a new group led by the child; > 0: join that group
  ConfigDeathSignal = 5,  // 0: none; else PR_SET_PDEATHSIG with it
  ConfigUid = 6,      // with FlagSetuid: the uid for setuid(2) (uid_t's 32 bits)
  ConfigGid = 7,      // with FlagSetgid: the gid for setgid(2) (gid_t's 32 bits)
  ConfigFlags = 8,
  ConfigCgroupProcs = 9,  // -1: none; else an fd open for writing on a cgroup.procs (lib/contain)
  ConfigKeepFd = 10,      // -1: none; else an fd given to the child as fd 3 (the shepherd's control socket)
  ConfigPassFd = 11,      // -1: none; else an fd given to the child as fd config[ConfigPassFdTarget]
  ConfigPassFdTarget = 12,  // >= 3 (lib/supervise's notification fd, issue 11; not 3 with ConfigKeepFd)
  ConfigLength = 13,
};
enum StdioKind { StdioInherit = -1, StdioIgnore = -2, StdioPipe = -3 };
enum Flags { FlagPidfd = 1, FlagFork = 2, FlagSetuid = 4, FlagSetgid = 8, FlagSetgroups = 16 };

// Which step failed (mirrored in lib/spawn/native-child.ts, which names the syscall).
enum Step {
  StepNone = 0, StepStdio = 1, StepSetsid = 2, StepSetpgid = 3, StepCloseRange = 4,
  StepChdir = 5, StepSetgroups = 6, StepSetgid = 7, StepSetuid = 8, StepPrctl = 9,
  StepExecve = 10, StepCgroup = 11, StepRlimit = 12,
};

static_assert(ConfigLength == kChildConfigLength, "child_job.h");

struct ChildArgs {
  char* const* candidates;
  size_t candidate_count;
  char* const* argv;
  char* const* envp;
  const char* cwd;  // nullptr: none
  int stdio[3];     // fd for 0..2, or StdioInherit
  bool setsid;
  int pgid;
  int death_signal;
  bool set_uid;
  bool set_gid;
  bool set_groups;
  uid_t uid;
  gid_t gid;
  const gid_t* groups;  // set_groups: group_count gids (may be 0: no supplementary group)
  size_t group_count;
  int cgroup_procs;  // -1: stay in the parent's cgroup
  int keep_fd;       // -1: none; else dup2'd to 3 and kept across exec
  int pass_fd;       // -1: none; else dup2'd to pass_target and kept across exec (blocking)
  int pass_target;
  size_t rlimit_count;
  int rlimit_resource[kMaxRlimits];
  struct rlimit rlimit_value[kMaxRlimits];
  pid_t parent_pid;
  unsigned int max_fd;  // for the fallback close loop (rlimit read before the clone)
  int error_pipe;       // fork mode: the write end; -1 with CLONE_VM
  volatile int err;     // CLONE_VM mode: written by the child on failure
  volatile int step;
};

// Fails the child: report errno and step, then _exit. Never returns.
[[noreturn]] static void ChildFail(ChildArgs* a, int step, int err) {
  if (a->error_pipe >= 0) {
    int msg[2] = {err, step};
    ssize_t unused = write(a->error_pipe, msg, sizeof msg);  // a pipe write of 8 bytes is atomic
    (void)unused;
  } else {
    a->err = err;
    a->step = step;
  }
  _exit(127);
}

// Closes (marks CLOEXEC, so the error pipe lives until exec) every fd >= 3, but the passed one.
static int CloseOtherFds(ChildArgs* a) {
  const unsigned int first = a->keep_fd >= 0 ? 4U : 3U;
  const unsigned int spared = a->pass_fd >= 0 ? static_cast<unsigned int>(a->pass_target) : 0U;
  bool done;
  if (spared >= first) {
    done = (spared == first || syscall(SYS_close_range, first, spared - 1, CLOSE_RANGE_CLOEXEC) == 0) &&
           syscall(SYS_close_range, spared + 1, ~0U, CLOSE_RANGE_CLOEXEC) == 0;
  } else {
    done = syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0;
  }
  if (done) return 0;
  // Kernels before 5.11: close one by one, sparing the error pipe and the passed fd.
  for (unsigned int fd = first; fd < a->max_fd; fd++) {
    if (static_cast<int>(fd) != a->error_pipe && (spared < first || fd != spared)) close(static_cast<int>(fd));
  }
  return 0;
}

// The child. Only async-signal-safe calls from here to execve.
static int ChildMain(void* arg) {
  ChildArgs* a = static_cast<ChildArgs*>(arg);
  // Every signal is blocked (the parent did it before the clone): reset the handlers
  // before anything can unblock them.
  ResetSignalDispositions();

  // Into the containment cgroup first (lib/contain): writing "0" to cgroup.procs moves the
  // writer (cgroups(7)), so everything the program does after exec, and every process it
  // starts, is in the cgroup from its first instruction.
  if (a->cgroup_procs >= 0 && RetryEintr([&] { return write(a->cgroup_procs, "0", 1); }) < 0) {
    ChildFail(a, StepCgroup, errno);
  }

  // The passed fd out of 0..3 first, where the stdio and keep_fd dup2s would overwrite it.
  if (a->pass_fd >= 0 && a->pass_fd <= 3) {
    a->pass_fd = fcntl(a->pass_fd, F_DUPFD_CLOEXEC, 4);
    if (a->pass_fd < 0) ChildFail(a, StepStdio, errno);
  }

  if (a->setsid && setsid() < 0) ChildFail(a, StepSetsid, errno);
  if (a->pgid >= 0 && setpgid(0, a->pgid) < 0) ChildFail(a, StepSetpgid, errno);

  // stdio: first move any source that sits in 0..2 (and is not already in place) out of
  // the way, so that a dup2 cannot overwrite a source another stream still needs.
  int src[3];
  for (int i = 0; i < 3; i++) {
    src[i] = a->stdio[i];
    if (src[i] >= 0 && src[i] < 3 && src[i] != i) {
      src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
      if (src[i] < 0) ChildFail(a, StepStdio, errno);
    }
  }
  for (int i = 0; i < 3; i++) {
    if (src[i] == StdioInherit || src[i] == i) {
      // Inherited as is: libuv marked it CLOEXEC at start-up. A closed fd stays closed.
      if (ClearCloexec(i) < 0 && errno != EBADF) ChildFail(a, StepStdio, errno);
    } else if (RetryEintr([&] { return dup2(src[i], i); }) < 0) {
      ChildFail(a, StepStdio, errno);
    }
    // O_NONBLOCK is on the open file description: cat and friends fail with EAGAIN.
    SetBlocking(i);
  }

  // The shepherd's control socket (lib/contain) as fd 3, inheritable; the stdio dup2s are
  // done, so fd 3 holds nothing the child still needs.
  if (a->keep_fd >= 0) {
    if (a->error_pipe == 3) {  // fork mode: keep the failure report out of the way
      a->error_pipe = fcntl(3, F_DUPFD_CLOEXEC, 4);
      if (a->error_pipe < 0) _exit(127);
      close(3);
    }
    if (a->keep_fd == 3) {
      if (ClearCloexec(3) < 0) ChildFail(a, StepStdio, errno);
    } else if (RetryEintr([&] { return dup2(a->keep_fd, 3); }) < 0) {
      ChildFail(a, StepStdio, errno);
    }
  }

  // The passed fd (the notification fd of lib/supervise) at its number, inheritable and
  // blocking; the fork mode's failure report is moved off that number first.
  if (a->pass_fd >= 0) {
    if (a->error_pipe == a->pass_target) {
      a->error_pipe = fcntl(a->pass_target, F_DUPFD_CLOEXEC, a->pass_target + 1);
      if (a->error_pipe < 0) _exit(127);
    }
    if (a->pass_fd == a->pass_target) {
      if (ClearCloexec(a->pass_target) < 0) ChildFail(a, StepStdio, errno);
    } else if (RetryEintr([&] { return dup2(a->pass_fd, a->pass_target); }) < 0) {
      ChildFail(a, StepStdio, errno);
    }
    SetBlocking(a->pass_target);
  }

  if (CloseOtherFds(a) < 0) ChildFail(a, StepCloseRange, errno);
  if (a->cwd != nullptr && chdir(a->cwd) < 0) ChildFail(a, StepChdir, errno);

  // Resource limits (lib/contain/limits.ts), before the credentials: raising a hard limit
  // needs the privilege that setuid may drop. setrlimit(2) is a plain syscall.
  for (size_t i = 0; i < a->rlimit_count; i++) {
    if (setrlimit(static_cast<__rlimit_resource>(a->rlimit_resource[i]), &a->rlimit_value[i]) < 0) {
      ChildFail(a, StepRlimit, errno);
    }
  }

  // Credentials, in the one order that works (credentials(7)): the supplementary groups and
  // the gid while still privileged (both need CAP_SETGID), the uid last (setuid drops the
  // capabilities). Which of them to set, and the list, were decided in the parent
  // (lib/spawn/credentials.ts): no NSS lookup here. Raw syscalls: the glibc wrappers
  // signal every thread of the (shared) process (nptl(7)).
  if (a->set_groups && syscall(UNIXPROC_SYS_SETGROUPS, a->group_count, a->groups) < 0) {
    ChildFail(a, StepSetgroups, errno);
  }
  if (a->set_gid && syscall(UNIXPROC_SYS_SETGID, a->gid) < 0) ChildFail(a, StepSetgid, errno);
  if (a->set_uid && syscall(UNIXPROC_SYS_SETUID, a->uid) < 0) ChildFail(a, StepSetuid, errno);

  if (a->death_signal > 0) {
    if (prctl(PR_SET_PDEATHSIG, a->death_signal) < 0) ChildFail(a, StepPrctl, errno);
    // The parent may have died between the clone and the prctl: then no signal will
    // come, and the child would run on as an orphan. getppid() tells (prctl(2)).
    if (getppid() != a->parent_pid) ChildFail(a, StepPrctl, ESRCH);
  }

  UnblockAllSignals();

  const int err = ExecCandidates(a->candidates, a->candidate_count, a->argv, a->envp);
  ChildFail(a, StepExecve, err);
}

// The kernel's sigset_t size (rt_sigprocmask(2) rejects any other): _NSIG bits.
constexpr size_t kKernelSigsetSize = _NSIG / 8;

static void CloseIfOpen(int fd) {
  if (fd >= 0) close(fd);
}

// Reads spawnChild's arguments (info[0..7]) into the job: everything copied out of JS, so
// that the job can run on another thread (native/spawn_queue.cc). 0 or EINVAL.
int ReadChildJob(const Napi::CallbackInfo& info, ChildJob* job) {
  ExecRequest& req = job->req;
  // The containment entries are optional: a config of ConfigCgroupProcs entries means none.
  if (!ReadExecRequest(info, ConfigCgroupProcs, &req)) return EINVAL;
  const size_t config_len = req.config.ElementLength();
  for (size_t i = 0; i < ConfigLength; i++) job->config[i] = i < config_len ? req.config[i] : -1;
  req.config = Napi::Int32Array();  // nothing of JS is kept
  const int* config = job->config;
  // info[7]: the supplementary groups (FlagSetgroups), copied before the clone.
  if ((config[ConfigFlags] & FlagSetgroups) != 0) {
    if (info.Length() <= 7 || !info[7].IsTypedArray() ||
        info[7].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      return EINVAL;
    }
    Napi::Uint32Array list = info[7].As<Napi::Uint32Array>();
    job->groups.reserve(list.ElementLength());
    for (size_t i = 0; i < list.ElementLength(); i++) job->groups.push_back(static_cast<gid_t>(list[i]));
  }
  const int pass_fd = config[ConfigPassFd];
  const int pass_target = config[ConfigPassFdTarget];
  if (pass_fd >= 0 && (pass_target < 3 || (pass_target == 3 && config[ConfigKeepFd] >= 0))) return EINVAL;
  // info[6]: null, or a Float64Array of [resource, soft, hard] triples (Infinity: unlimited).
  job->rlimit_count = 0;
  if (info.Length() > 6 && !info[6].IsNull() && !info[6].IsUndefined()) {
    if (!info[6].IsTypedArray() || info[6].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      return EINVAL;
    }
    Napi::Float64Array limits = info[6].As<Napi::Float64Array>();
    const size_t n = limits.ElementLength() / 3;
    if (limits.ElementLength() % 3 != 0 || n > kMaxRlimits) return EINVAL;
    auto value = [](double v) -> rlim_t { return v == INFINITY || v >= 1.8e19 ? RLIM_INFINITY : static_cast<rlim_t>(v); };
    for (size_t i = 0; i < n; i++) {
      job->rlimit_resource[i] = static_cast<int>(limits[3 * i]);
      job->rlimit_value[i].rlim_cur = value(limits[3 * i + 1]);
      job->rlimit_value[i].rlim_max = value(limits[3 * i + 2]);
    }
    job->rlimit_count = n;
  }
  return 0;
}

// Makes the child the job describes (no JS: any thread). The result: err/step of a failed
// step (the child reaped), or sys_err when no child was made, else pid, pidfd and the
// parent's ends of the pipes.
void RunChildJob(ChildJob& job, ChildResult* out) {
  ExecRequest& req = job.req;
  const int* config = job.config;
  const int flags = config[ConfigFlags];
  const bool fork_mode = (flags & FlagFork) != 0;

  ChildArgs a{};
  a.candidates = req.candidates.data();
  a.candidate_count = req.candidate_strings.size();
  a.argv = req.argv.data();
  a.envp = req.envp.data();
  a.cwd = req.cwd.empty() ? nullptr : req.cwd.c_str();
  a.setsid = config[ConfigSetsid] != 0;
  a.pgid = config[ConfigPgid];
  a.death_signal = config[ConfigDeathSignal];
  a.set_uid = (flags & FlagSetuid) != 0;
  a.set_gid = (flags & FlagSetgid) != 0;
  a.set_groups = (flags & FlagSetgroups) != 0;
  a.uid = static_cast<uid_t>(static_cast<uint32_t>(config[ConfigUid]));
  a.gid = static_cast<gid_t>(static_cast<uint32_t>(config[ConfigGid]));
  a.groups = job.groups.empty() ? nullptr : job.groups.data();
  a.group_count = job.groups.size();
  a.cgroup_procs = config[ConfigCgroupProcs];
  a.keep_fd = config[ConfigKeepFd];
  a.pass_fd = config[ConfigPassFd];
  a.pass_target = config[ConfigPassFdTarget];
  a.rlimit_count = job.rlimit_count;
  for (size_t i = 0; i < job.rlimit_count; i++) {
    a.rlimit_resource[i] = job.rlimit_resource[i];
    a.rlimit_value[i] = job.rlimit_value[i];
  }
  a.parent_pid = getpid();
  a.error_pipe = -1;
  struct rlimit rl {};
  a.max_fd = (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536)
                 ? static_cast<unsigned int>(rl.rlim_cur) : 65536U;

  // Everything the parent opens here is CLOEXEC and closed on every path out.
  int parent_end[3] = {-1, -1, -1};
  int child_end[3] = {-1, -1, -1};
  int dev_null = -1;
  int error_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int i = 0; i < 3; i++) {
      CloseIfOpen(parent_end[i]);
      CloseIfOpen(child_end[i]);
    }
    CloseIfOpen(dev_null);
    CloseIfOpen(error_pipe[0]);
    CloseIfOpen(error_pipe[1]);
  };

  for (int i = 0; i < 3; i++) {
    int kind = config[i];
    if (kind == StdioPipe) {
      int p[2];
      if (pipe2(p, O_CLOEXEC) < 0) {
        out->sys_err = errno;
        close_all();
        return;
      }
      // stdin: the child reads; stdout/stderr: the child writes.
      child_end[i] = i == 0 ? p[0] : p[1];
      parent_end[i] = i == 0 ? p[1] : p[0];
      a.stdio[i] = child_end[i];
    } else if (kind == StdioIgnore) {
      if (dev_null < 0) dev_null = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (dev_null < 0) {
        out->sys_err = errno;
        close_all();
        return;
      }
      a.stdio[i] = dev_null;
    } else {
      a.stdio[i] = kind;  // an fd, or StdioInherit
    }
  }
  if (fork_mode) {
    if (pipe2(error_pipe, O_CLOEXEC) < 0) {
      out->sys_err = errno;
      close_all();
      return;
    }
    a.error_pipe = error_pipe[1];
  }

  // The child's stack: glibc's posix_spawn uses a separate one too; the caller is
  // suspended (CLONE_VFORK) until the child is done with it.
  constexpr size_t kStackSize = 64 * 1024;
  std::vector<char> stack(kStackSize);
  char* stack_top = stack.data() + kStackSize;
  stack_top = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(stack_top) & ~uintptr_t{15});

  int clone_flags = SIGCHLD;
  if (!fork_mode) clone_flags |= CLONE_VM | CLONE_VFORK;
  int pidfd = -1;
  if (flags & FlagPidfd) clone_flags |= CLONE_PIDFD;

  // Every signal blocked across the clone, glibc's internal ones included: sigfillset and
  // pthread_sigmask leave SIGCANCEL and SIGSETXID (32, 33) out, and a setxid broadcast
  // from another thread would then run glibc's handler in the child, on our memory.
  // So the raw syscall with every bit set, as glibc's posix_spawn does
  // (__libc_signal_block_all), and the old mask restored the same way.
  sigset_t all, old;
  memset(&all, 0xff, sizeof all);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, kKernelSigsetSize);
  pid_t pid = -1;
  int clone_errno = 0;
  bool cloned = false;
#ifdef UNIXPROC_HAVE_CLONE3_RUN
  // Into the cgroup at creation (see unixproc_clone3_run); the child then skips the write.
  int cgroup_dir = !fork_mode && a.cgroup_procs >= 0 ? CgroupDirOf(a.cgroup_procs) : -1;
  if (cgroup_dir >= 0) {
    Clone3Args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = static_cast<uint64_t>(static_cast<unsigned int>(clone_flags & ~0xff)) | kCloneIntoCgroup;
    ca.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
    ca.exit_signal = SIGCHLD;
    ca.stack = reinterpret_cast<uintptr_t>(stack.data());
    ca.stack_size = static_cast<uint64_t>(stack_top - stack.data());
    ca.cgroup = static_cast<uint64_t>(cgroup_dir);
    const int procs = a.cgroup_procs;
    a.cgroup_procs = -1;
    long r = unixproc_clone3_run(&ca, sizeof ca, ChildMain, &a);
    if (r > 0) {
      pid = static_cast<pid_t>(r);
      cloned = true;
    } else {
      a.cgroup_procs = procs;  // no child was made: the classic way below
      pidfd = -1;
    }
    close(cgroup_dir);
  }
#endif
  if (!cloned) {
    pid = clone(ChildMain, stack_top, clone_flags, &a, &pidfd);
    clone_errno = errno;
  }
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, nullptr, kKernelSigsetSize);
  if (pid < 0) {
    close_all();
    out->sys_err = clone_errno;
    return;
  }

  int err = 0;
  int step = StepNone;
  if (fork_mode) {
    CloseIfOpen(error_pipe[1]);
    error_pipe[1] = -1;
    int msg[2] = {0, 0};
    ssize_t n = RetryEintr([&] { return read(error_pipe[0], msg, sizeof msg); });
    if (n == static_cast<ssize_t>(sizeof msg)) {
      err = msg[0];
      step = msg[1];
    }
  } else {
    err = a.err;
    step = a.step;
  }

  // The child's ends belong to the child now.
  for (int i = 0; i < 3; i++) {
    CloseIfOpen(child_end[i]);
    child_end[i] = -1;
  }
  CloseIfOpen(dev_null);
  dev_null = -1;

  if (step != StepNone) {
    // The child has exited (127): reap that exact pid, never -1.
    int status = 0;
    RetryEintr([&] { return waitpid(pid, &status, 0); });
    CloseIfOpen(pidfd);
    close_all();
    out->err = err;
    out->step = step;
    return;
  }
  CloseIfOpen(error_pipe[0]);
  out->pid = pid;
  out->pidfd = pidfd;
  for (int i = 0; i < 3; i++) out->fds[i] = parent_end[i];
}

// The result as spawnChild returns it: -errno (no child), [-errno, step] (a step failed),
// or [pid, pidfd, stdin, stdout, stderr].
Napi::Value ChildResultToJs(Napi::Env env, const ChildResult& r) {
  if (r.sys_err != 0) return NegErrno(env, r.sys_err);
  if (r.step != StepNone) {
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Number::New(env, -r.err));
    out.Set(1u, Napi::Number::New(env, r.step));
    return out;
  }
  Napi::Array out = Napi::Array::New(env, 5);
  out.Set(0u, Napi::Number::New(env, r.pid));
  out.Set(1u, Napi::Number::New(env, r.pidfd));
  for (uint32_t i = 0; i < 3; i++) out.Set(i + 2, Napi::Number::New(env, r.fds[i]));
  return out;
}

static Napi::Value SpawnChild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ChildJob job;
  const int rc = ReadChildJob(info, &job);
  if (rc != 0) return NegErrno(env, rc);
  ChildResult result;
  RunChildJob(job, &result);
  return ChildResultToJs(env, result);
}



void InitChild(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "spawnChild", SpawnChild);
}

}  // namespace unixproc
