// unixproc-shepherd: a small program, no Node inside, that keeps a contained child's tree
// together (lib/contain, issue 10, docs/containment.md). Two modes, each started by the owner
// (a Node process) with a control socket as fd 3:
//
//   unixproc-shepherd tree <owner pid> <kill signal> <grace ms | -1> <n> <candidate>... -- <argv>...
//     The parent of the contained program. It is PR_SET_CHILD_SUBREAPER, so every descendant
//     that detaches (setsid, double fork, another process group) is re-parented to it and
//     stays in the tree; it reaps every process re-parented to it; it forwards the signals
//     it gets to the program (as tini does), so the owner's kill() reaches the program; it
//     ends the whole tree on request, when the program exits (the rest of the tree is
//     ended: nothing the program started outlives it), and when the owner dies (EOF on fd 3,
//     or PR_SET_PDEATHSIG); and it exits, once the tree is empty, as the program did: the
//     same exit code, or the same signal, so the owner's wait() sees the program's status.
//   unixproc-shepherd keeper <owner pid> <cgroup dir> [<stale cgroup dir>...]
//     The owner's guard for its cgroups: when the owner dies (EOF on fd 3, or PDEATHSIG), it
//     writes cgroup.kill in <cgroup dir> (every descendant cgroup too, by the kernel), waits
//     for cgroup.events "populated 0" and removes the directory tree. Started once per owner.
//
// Control protocol (lines on fd 3). Shepherd to owner, once: "R <pid>\n" (the program runs,
// exec done) or "E <errno>\n" (exec failed; the shepherd exits 127); then "S <pid>...\n"
// when it SIGKILLs what outlived the grace period (the pids it kills). Owner to shepherd:
// "K <signal>\n" sends one signal to every member now; "T <signal> <grace ms | -1>\n" ends
// the tree: the signal to every member, SIGKILL to what is left after the grace period.
//
// PR_SET_PDEATHSIG fires when the thread that created the shepherd exits, not the process
// (prctl(2), golang/go#27505): a worker thread that spawned it may end while the owner lives.
// So the death signal is a dedicated one (never forwarded), and on it the shepherd checks
// getppid(): still the owner means only a thread ended, and it carries on. EOF on fd 3 (the
// socket closes when the owner's process ends, whichever thread made it) is the main signal. The owner may die between the spawn and the prctl: getppid() is checked
// after it (prctl(2)).
//
// It leaves the owner's process group (the program goes back into it), so that a signal to
// that group, kill -9 -<pgid> included, does not end the shepherd with the owner.
//
// What it cannot do: a member that is SIGKILLed is gone, but if the shepherd itself is
// SIGKILLed by someone else, its direct child dies with it (PR_SET_PDEATHSIG SIGKILL) and
// the rest of the tree is re-parented to the next subreaper or init (docs/containment.md).
//
// See prctl(2) PR_SET_CHILD_SUBREAPER / PR_SET_PDEATHSIG, signalfd(2), wait(2), proc(5)
// /proc/pid/task/tid/children, cgroups(7), cgroup-v2 (cgroup.kill, cgroup.events).
// It has no C library (native/nolibc.h: its own _start and raw system calls): a static
// glibc start-up costs more than the rest of a contained spawn (docs/containment.md,
// Figures). So no std::string, no stdio, no errno: fixed buffers, and -errno returns.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

#include "child_setup.h"
#include "nolibc.h"

namespace {

constexpr int kControlFd = 3;

// The parent-death signal: one that is never forwarded to the program, so that it tells a
// parent-death (of the owner's thread that spawned us: then getppid() still names the owner
// and the signal is ignored) from a signal the owner forwards. SIGRTMAX - 1 (63 on Linux:
// the kernel's _NSIG is 64; glibc's SIGRTMAX is a function, and there is no glibc here);
// 62 where 63 is refused: qemu-user maps its guest's 63 to the host's 65 (EINVAL), and
// test:platforms runs the arm64 shepherd there.
int g_death_signal = 63;

// PR_SET_PDEATHSIG with the death signal (see above).
long SetDeathSignal() {
  long r = nl::prctl(PR_SET_PDEATHSIG, g_death_signal);
  if (r == -EINVAL) {
    g_death_signal = 62;
    r = nl::prctl(PR_SET_PDEATHSIG, g_death_signal);
  }
  return r;
}
constexpr int kNsig = 65;  // glibc's NSIG: signals are 1..64

long long NowMs() {
  nl::timespec ts{0, 0};
  nl::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// ---- the members of the tree -------------------------------------------------------------

// Every descendant of the shepherd, read from /proc/<pid>/task/*/children (proc(5)): no scan
// of all of /proc. Breadth first over one array, so a deep chain needs neither recursion nor
// an open file per level. A process that exits mid-walk is simply not listed. At most
// kMaxMembers are listed in one walk; the callers walk again (each round of the SIGKILL
// phase, and until the tree is empty when the owner is gone), so a larger tree is ended
// over several rounds rather than missed.
constexpr size_t kMaxMembers = 1 << 17;
int g_members[kMaxMembers];

// Appends the pids of one /proc/<pid>/task/<tid>/children file to g_members[*count...].
void ReadChildren(const char* file, size_t* count) {
  int fd = static_cast<int>(nl::open(file, O_RDONLY | O_CLOEXEC));
  if (fd < 0) return;
  char buf[4096];
  long long value = -1;  // the number being read, across reads; -1: none
  for (;;) {
    long n = nl::read(fd, buf, sizeof buf);
    if (n == -EINTR) continue;
    if (n <= 0) break;
    for (long i = 0; i < n; i++) {
      const char c = buf[i];
      if (c >= '0' && c <= '9') {
        value = (value < 0 ? 0 : value * 10) + (c - '0');
        if (value > 0x7fffffff) value = 0x7fffffff;  // not a pid: never listed below
      } else {
        if (value > 0 && value < 0x7fffffff && *count < kMaxMembers) g_members[(*count)++] = static_cast<int>(value);
        value = -1;
      }
    }
  }
  if (value > 0 && value < 0x7fffffff && *count < kMaxMembers) g_members[(*count)++] = static_cast<int>(value);
  nl::close(fd);
}

// Lists the members in g_members; returns how many.
size_t Members() {
  size_t count = 0;
  const int self = static_cast<int>(nl::getpid());
  for (size_t next = 0;; next++) {
    const int pid = next == 0 ? self : (next - 1 < count ? g_members[next - 1] : 0);
    if (pid == 0) break;
    nl::Path task("/proc/");
    task.Append(pid).Append("/task");
    nl::Dir dir(task.c_str());
    unsigned char type = 0;
    while (const char* tid = dir.Next(&type)) {
      nl::Path file(task.c_str());
      file.Append("/").Append(tid).Append("/children");
      if (file.ok()) ReadChildren(file.c_str(), &count);
    }
  }
  return count;
}

void SignalAll(int sig) {
  const size_t n = Members();
  for (size_t i = 0; i < n; i++) nl::kill(g_members[i], sig);
}

struct Tree {
  int owner = 0;
  int main = -1;
  int main_status = 0;
  bool main_done = false;
  int kill_signal = SIGTERM;
  long long grace_ms = 5000;  // -1: never escalate
  bool ending = false;         // killSignal sent to the whole tree
  long long escalate_at = -1;  // monotonic ms; -1: not scheduled
  bool killing = false;        // SIGKILL phase
};

// The SIGKILL phase: tells the owner which members it SIGKILLs ("S <pid>...\n"), then
// SIGKILLs them (and, on each round of the main loop, whatever appeared since).
void EnterKilling(Tree* t) {
  if (t->killing) return;
  t->killing = true;
  const size_t n = Members();
  nl::Line line(kControlFd);
  line.Add("S");
  for (size_t i = 0; i < n; i++) line.Add(" ").Add(g_members[i]);
  line.Add("\n").Flush();
  for (size_t i = 0; i < n; i++) nl::kill(g_members[i], SIGKILL);
}

// Ends the tree: the signal to every member; SIGKILL after the grace period.
void BeginEnding(Tree* t, int sig, long long grace_ms) {
  if (t->killing) return;
  if (sig == SIGKILL || grace_ms == 0) {
    EnterKilling(t);
    return;
  }
  // A member that was stopped would not act on the signal until continued: SIGCONT after it.
  const size_t n = Members();
  for (size_t i = 0; i < n; i++) {
    nl::kill(g_members[i], sig);
    nl::kill(g_members[i], SIGCONT);
  }
  // The earliest escalation asked for wins; -1 (never) only when nothing else was asked.
  if (grace_ms >= 0) {
    const long long at = NowMs() + grace_ms;
    if (t->escalate_at < 0 || at < t->escalate_at) t->escalate_at = at;
  }
  t->ending = true;
}

// Reaps every child that has exited. Returns false once the shepherd has no child left.
// When the program is among them, the rest of the tree is ended (nothing the program
// started outlives it), unless nothing is left: then there is no member to list.
bool ReapAll(Tree* t) {
  bool main_exited = false;
  for (;;) {
    int status = 0;
    const long p = nl::wait4(-1, &status, WNOHANG);
    if (p > 0) {
      if (p == t->main) {
        t->main_done = true;
        t->main_status = status;
        main_exited = true;
      }
      continue;
    }
    if (p == -EINTR) continue;
    if (p == 0) {
      if (main_exited) BeginEnding(t, t->kill_signal, t->grace_ms);
      return true;
    }
    return false;  // ECHILD: the tree is empty
  }
}

// Exits as the program did: its code, or its signal (no core file of the shepherd).
[[noreturn]] void ExitAs(int status) {
  if (WIFEXITED(status)) nl::exit(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const nl::rlimit none{0, 0};
    nl::setrlimit(RLIMIT_CORE, &none);
    nl::default_action(sig);
    const nl::sigset set = nl::SigBit(sig);
    nl::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    nl::kill(static_cast<int>(nl::getpid()), sig);
    nl::exit(128 + sig);
  }
  nl::exit(1);
}

// One decimal integer after spaces (as sscanf's %lld reads it); advances *s past it.
bool NextInt(const char** s, long long* out) {
  while (**s == ' ') (*s)++;
  const char* start = *s;
  if (**s == '-') (*s)++;
  while (**s >= '0' && **s <= '9') (*s)++;
  char num[24];
  const long len = *s - start;
  if (len <= 0 || len >= static_cast<long>(sizeof num)) return false;
  for (long i = 0; i < len; i++) num[i] = start[i];
  num[len] = '\0';
  return nl::ParseInt(num, out);
}

// Handles one command line from the owner.
void Command(Tree* t, const char* line) {
  long long sig = 0, grace = 0;
  const char* rest = line + 1;
  if (line[0] == 'K' && NextInt(&rest, &sig) && sig >= 0 && sig < kNsig) {
    SignalAll(static_cast<int>(sig));
  } else if (line[0] == 'T' && NextInt(&rest, &sig) && NextInt(&rest, &grace) && sig > 0 && sig < kNsig) {
    BeginEnding(t, static_cast<int>(sig), grace);
  }
}

[[noreturn]] void OwnerGone(Tree* t) {
  t->killing = true;
  // SIGKILL at once: the owner cannot wait for a grace period any more. Repeat until no
  // member is listed, so that a process forked meanwhile is killed too (its own children
  // are re-parented to us and listed on the next round).
  for (;;) {
    SignalAll(SIGKILL);
    int status = 0;
    const long p = nl::wait4(-1, &status, 0);
    if (p == -ECHILD) break;
    if (p == t->main) {
      t->main_done = true;
      t->main_status = status;
    }
  }
  ExitAs(t->main_done ? t->main_status : SIGKILL);
}

void Report(char kind, long long value) {
  const char prefix[3] = {kind, ' ', '\0'};
  nl::Line(kControlFd).Add(prefix).Add(value).Add("\n").Flush();
}

// What the program's process needs before its exec (it may share our memory: read only).
struct ProgramStart {
  int report;  // the pipe's write end: the exec's errno if every candidate fails
  long shepherd;
  nl::sigset mask;  // the signal mask the shepherd was started with
  char** candidates;
  size_t count;
  char** argv;
  char** envp;
};
alignas(16) char g_program_stack[64 * 1024];

// The program's process: only system calls, as it may share our memory (vfork).
int StartProgram(void* p) {
  const ProgramStart* s = static_cast<const ProgramStart*>(p);
  nl::sigprocmask(SIG_SETMASK, &s->mask, nullptr);
  // The program dies with the shepherd, whoever kills it.
  nl::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (nl::getppid() != s->shepherd) return 127;
  int err = unixproc::ExecCandidatesWith(
      [](const char* path, char* const* a, char* const* e) { return static_cast<int>(-nl::execve(path, a, e)); },
      s->candidates, s->count, s->argv, s->envp);
  nl::write(s->report, &err, sizeof err);
  return 127;
}

int TreeMain(int argc, char** argv, char** envp) {
  // tree <owner> <signal> <grace> <n> <candidates...> -- <argv...>
  long long owner = 0, sig = 0, grace = 0, n = 0;
  if (argc < 7 || !nl::ParseInt(argv[2], &owner) || !nl::ParseInt(argv[3], &sig) ||
      !nl::ParseInt(argv[4], &grace) || !nl::ParseInt(argv[5], &n) || n < 1 || 6 + n + 1 >= argc ||
      !nl::streq(argv[6 + n], "--")) {
    return 125;
  }
  Tree t;
  t.owner = static_cast<int>(owner);
  t.kill_signal = static_cast<int>(sig);
  t.grace_ms = grace;
  char** candidates = argv + 6;
  char** child_argv = argv + 6 + n + 1;

  // Whether the shepherd is in the owner's process group (where spawn() leaves its child
  // unless told otherwise) rather than leading one. It leaves that group right after forking
  // the program (below), which stays in it, where a plain spawn() would have put it: a signal
  // to that group (kill -9 -pgid, `timeout -s KILL`) must not end the shepherd with the
  // owner, or the rest of the tree is left to init. Not by moving the program back by
  // number: inside a pid namespace whose group leader is outside it, getpgrp() is 0.
  const bool in_owner_group = nl::getpgid(0) != nl::getpid();

  if (nl::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) return 125;
  if (SetDeathSignal() < 0) return 125;
  if (nl::getppid() != t.owner) return 125;  // the owner died before the prctl
  nl::fcntl(kControlFd, F_SETFD, FD_CLOEXEC);

  // Every signal we act on goes through a signalfd; the rest keep their defaults.
  nl::sigset handled = ~0UL;
  const int kept[] = {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTSTP, SIGTTIN, SIGTTOU};
  for (int s : kept) handled &= ~nl::SigBit(s);
  nl::sigset old = 0;
  nl::sigprocmask(SIG_BLOCK, &handled, &old);
  const int sfd = static_cast<int>(nl::signalfd(&handled, SFD_CLOEXEC));
  if (sfd < 0) return 125;

  // The program: started on a stack of its own while we wait (x86_64), so that we resume,
  // and say "R", as soon as its exec is past the point of no return; else forked. Either way
  // an exec error comes back through a close-on-exec pipe.
  int report[2];
  if (nl::pipe2(report, O_CLOEXEC) < 0) return 125;
  ProgramStart start{report[1], nl::getpid(), old, candidates, static_cast<size_t>(n), child_argv, envp};
  long child;
  if (nl::kHaveCloneVfork) {
    child = nl::nl_clone_vfork(StartProgram, &start, g_program_stack + sizeof g_program_stack);
  } else {
    child = nl::fork();
    if (child == 0) nl::exit(StartProgram(&start));
  }
  if (child < 0) {
    Report('E', -child);
    return 127;
  }
  nl::close(report[1]);
  if (in_owner_group) nl::setpgid(0, 0);  // out of the owner's group; the program stays in it
  t.main = static_cast<int>(child);
  int err = 0;
  long got;
  do got = nl::read(report[0], &err, sizeof err);
  while (got == -EINTR);
  nl::close(report[0]);
  if (got == static_cast<long>(sizeof err)) {
    int status = 0;
    nl::wait4(static_cast<int>(child), &status, 0);
    Report('E', err);
    return 127;
  }
  Report('R', child);

  char pending[4096];
  size_t pending_len = 0;
  bool control_open = true;
  for (;;) {
    if (!ReapAll(&t)) {
      if (t.main_done) ExitAs(t.main_status);
    }
    if (t.ending && !t.killing && t.escalate_at >= 0 && NowMs() >= t.escalate_at) EnterKilling(&t);
    if (t.killing) SignalAll(SIGKILL);

    nl::pollfd fds[2] = {{sfd, POLLIN, 0}, {control_open ? kControlFd : -1, POLLIN, 0}};
    int timeout = -1;
    if (t.killing) {
      timeout = 20;  // members forked after the last round: list and kill again
    } else if (t.ending && t.escalate_at >= 0) {
      long long left = t.escalate_at - NowMs();
      timeout = left < 0 ? 0 : static_cast<int>(left > 1000000 ? 1000000 : left);
    }
    const long r = nl::poll(fds, 2, timeout);
    if (r < 0 && r != -EINTR) return 125;
    if (r <= 0) continue;
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si {};
      if (nl::read(sfd, &si, sizeof si) == static_cast<long>(sizeof si)) {
        const int signo = static_cast<int>(si.ssi_signo);
        if (nl::getppid() != t.owner) OwnerGone(&t);
        // The death signal with the owner alive: the thread that spawned us ended, not the
        // owner (prctl(2), golang/go#27505). Nothing to do, and nothing to forward.
        if (signo != SIGCHLD && signo != g_death_signal && !t.main_done) nl::kill(t.main, signo);
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      const long m = nl::read(kControlFd, pending + pending_len, sizeof pending - pending_len);
      if (m == -EINTR) continue;
      if (m <= 0) {
        control_open = false;
        OwnerGone(&t);
      }
      pending_len += static_cast<size_t>(m);
      size_t start = 0;
      for (size_t i = 0; i < pending_len; i++) {
        if (pending[i] != '\n') continue;
        pending[i] = '\0';
        Command(&t, pending + start);
        start = i + 1;
      }
      ::memmove(pending, pending + start, pending_len - start);
      pending_len -= start;
      if (pending_len == sizeof pending) pending_len = 0;  // a line this long is not our protocol
    }
  }
}

// ---- the keeper's cgroups ------------------------------------------------------------------

// Removes dir and every cgroup below it (children first); a cgroup rmdir needs no empty
// files, only no member and no child cgroup (cgroups(7)). `dir` is extended and put back.
void RemoveCgroupTree(nl::Path* dir) {
  {
    nl::Dir d(dir->c_str());
    unsigned char type = 0;
    while (const char* name = d.Next(&type)) {
      if (type != DT_DIR) continue;
      const size_t keep = dir->size();
      dir->Append("/").Append(name);
      if (dir->ok()) RemoveCgroupTree(dir);
      dir->Truncate(keep);
    }
  }
  // EBUSY while the last members are still being released after "populated 0": retry briefly.
  for (int i = 0; i < 50 && nl::rmdir(dir->c_str()) == -EBUSY; i++) {
    const nl::timespec ts{0, 2000000};
    nl::nanosleep(&ts);
  }
}

// The whole of a small file (cgroup.events) as a string; empty when it cannot be read.
void ReadSmall(const char* file, char* buf, size_t size) {
  buf[0] = '\0';
  int fd = static_cast<int>(nl::open(file, O_RDONLY | O_CLOEXEC));
  if (fd < 0) return;
  size_t len = 0;
  while (len + 1 < size) {
    long n = nl::read(fd, buf + len, size - 1 - len);
    if (n == -EINTR) continue;
    if (n <= 0) break;
    len += static_cast<size_t>(n);
  }
  buf[len] = '\0';
  nl::close(fd);
}

// cgroup.events holds "populated 0|1" (cgroup-v2).
bool Populated(const nl::Path& dir) {
  nl::Path file(dir.c_str());
  file.Append("/cgroup.events");
  char buf[512];
  ReadSmall(file.c_str(), buf, sizeof buf);
  const char key[] = "populated ";
  for (const char* line = buf; *line != '\0';) {
    size_t i = 0;
    while (key[i] != '\0' && line[i] == key[i]) i++;
    if (key[i] == '\0') return line[i] != '0';
    while (*line != '\0' && *line != '\n') line++;
    if (*line == '\n') line++;
  }
  return false;
}

bool WriteFile(const nl::Path& dir, const char* name, const char* value) {
  nl::Path file(dir.c_str());
  file.Append(name);
  if (!file.ok()) return false;
  int fd = static_cast<int>(nl::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd < 0) return false;
  const long w = nl::write(fd, value, nl::strlen(value));
  nl::close(fd);
  return w == static_cast<long>(nl::strlen(value));
}

// SIGKILLs every member of dir's subtree, one cgroup.procs at a time. `dir` is extended and
// put back.
void KillMembers(nl::Path* dir) {
  {
    nl::Path procs(dir->c_str());
    procs.Append("/cgroup.procs");
    size_t count = 0;
    if (procs.ok()) ReadChildren(procs.c_str(), &count);  // pids, one per line
    for (size_t i = 0; i < count; i++) nl::kill(g_members[i], SIGKILL);
  }
  nl::Dir d(dir->c_str());
  unsigned char type = 0;
  while (const char* name = d.Next(&type)) {
    if (type != DT_DIR) continue;
    const size_t keep = dir->size();
    dir->Append("/").Append(name);
    if (dir->ok()) KillMembers(dir);
    dir->Truncate(keep);
  }
}

// Kills every process in dir's subtree: cgroup.kill (Linux 5.14), else freeze the cgroup
// and SIGKILL each member, as cgroup.kill does in the kernel.
void KillCgroup(const nl::Path& dir) {
  if (WriteFile(dir, "/cgroup.kill", "1")) return;
  const bool frozen = WriteFile(dir, "/cgroup.freeze", "1");
  nl::Path walk(dir.c_str());
  KillMembers(&walk);
  if (frozen) WriteFile(dir, "/cgroup.freeze", "0");  // SIGKILL acts once thawed
}

// Kills every process of `c`'s subtree, waits until it is empty, and removes it.
void EndAndRemove(const nl::Path& c) {
  if (!c.ok()) return;
  KillCgroup(c);
  // cgroup.events signals a change of "populated" with POLLPRI (cgroup-v2); the bounded
  // timeout only re-sends SIGKILL to a member that was being created as we killed.
  nl::Path events_file(c.c_str());
  events_file.Append("/cgroup.events");
  const int events = static_cast<int>(nl::open(events_file.c_str(), O_RDONLY | O_CLOEXEC));
  for (int i = 0; i < 100 && Populated(c); i++) {
    nl::pollfd p = {events, POLLPRI, 0};
    if (nl::poll(&p, 1, 100) == 0) KillCgroup(c);
  }
  if (events >= 0) nl::close(events);
  nl::Path walk(c.c_str());
  RemoveCgroupTree(&walk);
}

int KeeperMain(int argc, char** argv) {
  // keeper <owner> <dir> [<stale dir>...]: the stale ones (of dead owners, found by the
  // owner's sweep still populated) are ended and removed first.
  long long owner = 0;
  if (argc < 4 || !nl::ParseInt(argv[2], &owner) || argv[3][0] != '/') return 125;
  const nl::Path dir(argv[3]);
  if (!dir.ok()) return 125;
  if (SetDeathSignal() < 0) return 125;
  const nl::sigset set = nl::SigBit(g_death_signal) | nl::SigBit(SIGHUP) | nl::SigBit(SIGTERM) | nl::SigBit(SIGINT);
  nl::sigprocmask(SIG_BLOCK, &set, nullptr);
  const int sfd = static_cast<int>(nl::signalfd(&set, SFD_CLOEXEC));
  if (sfd < 0) return 125;
  nl::fcntl(kControlFd, F_SETFD, FD_CLOEXEC);
  if (nl::getppid() == owner) {
    Report('R', nl::getpid());
    for (int i = 4; i < argc; i++) {
      if (argv[i][0] == '/') EndAndRemove(nl::Path(argv[i]));
    }
    for (;;) {
      nl::pollfd fds[2] = {{sfd, POLLIN, 0}, {kControlFd, POLLIN, 0}};
      const long r = nl::poll(fds, 2, -1);
      if (r < 0 && r != -EINTR) break;
      if (fds[0].revents & POLLIN) {
        struct signalfd_siginfo si {};
        nl::read(sfd, &si, sizeof si);
        if (nl::getppid() != owner) break;
      }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[64];
        const long m = nl::read(kControlFd, buf, sizeof buf);
        if (m == 0 || (m < 0 && m != -EINTR && m != -EAGAIN)) break;
      }
    }
  }
  // The owner is gone: end its cgroups, wait until each is empty, remove them. The keeper
  // itself sits in <dir>/keeper (so that a sweep can tell a live owner's cgroup from a dead
  // one's, in any pid namespace: lib/contain/cgroup.ts) and leaves it last. All are killed
  // first, then each is waited for and removed.
  for (int pass = 0; pass < 2; pass++) {
    nl::Dir d(dir.c_str());
    unsigned char type = 0;
    while (const char* name = d.Next(&type)) {
      if (type != DT_DIR || nl::streq(name, "keeper")) continue;
      nl::Path c(dir.c_str());
      c.Append("/").Append(name);
      if (!c.ok()) continue;
      if (pass == 0) {
        KillCgroup(c);
      } else {
        EndAndRemove(c);
      }
    }
  }
  nl::Path parent(dir.c_str());
  size_t slash = 0;
  for (size_t i = 0; i < parent.size(); i++) {
    if (parent.c_str()[i] == '/') slash = i;
  }
  parent.Truncate(slash);
  WriteFile(parent, "/cgroup.procs", "0");
  nl::Path keeper(dir.c_str());
  keeper.Append("/keeper");
  nl::rmdir(keeper.c_str());
  nl::rmdir(dir.c_str());
  return 0;
}

}  // namespace

int nl_main(int argc, char** argv, char** envp) {
  if (argc >= 2 && nl::streq(argv[1], "tree")) return TreeMain(argc, argv, envp);
  if (argc >= 2 && nl::streq(argv[1], "keeper")) return KeeperMain(argc, argv);
  const char usage[] = "usage: unixproc-shepherd tree|keeper ... (started by unixproc's contain)\n";
  nl::write(2, usage, sizeof usage - 1);
  return 125;
}
