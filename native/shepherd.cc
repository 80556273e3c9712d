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
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "child_setup.h"

extern char** environ;

namespace {

constexpr int kControlFd = 3;

// The parent-death signal: one that is never forwarded to the program, so that it tells a
// parent-death (of the owner's thread that spawned us: then getppid() still names the owner
// and the signal is ignored) from a signal the owner forwards. SIGRTMAX - 1 (63 on Linux).
inline int DeathSignal() { return SIGRTMAX - 1; }

long long NowMs() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool ParseInt(const char* s, long long* out) {
  if (s == nullptr || *s == '\0') return false;
  char* end = nullptr;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the owner is gone: nothing to tell
    off += static_cast<size_t>(n);
  }
}

// The pids of every descendant of `pid`, read from /proc/<pid>/task/*/children (proc(5)):
// no scan of all of /proc. A process that exits mid-walk is simply not listed.
void Descendants(pid_t pid, std::vector<pid_t>* out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR* dir = opendir(path);
  if (dir == nullptr) return;
  std::vector<pid_t> children;
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char file[320];
    snprintf(file, sizeof file, "/proc/%d/task/%s/children", pid, e->d_name);
    FILE* f = fopen(file, "re");
    if (f == nullptr) continue;
    int child = 0;
    while (fscanf(f, "%d", &child) == 1) children.push_back(child);
    fclose(f);
  }
  closedir(dir);
  for (pid_t c : children) {
    out->push_back(c);
    Descendants(c, out);
  }
}

struct Tree {
  pid_t owner = 0;
  pid_t main = -1;
  int main_status = 0;
  bool main_done = false;
  int kill_signal = SIGTERM;
  long long grace_ms = 5000;  // -1: never escalate
  bool ending = false;         // killSignal sent to the whole tree
  long long escalate_at = -1;  // monotonic ms; -1: not scheduled
  bool killing = false;        // SIGKILL phase
  bool owner_gone = false;
};

void SignalAll(int sig) {
  std::vector<pid_t> members;
  Descendants(getpid(), &members);
  for (pid_t p : members) kill(p, sig);
}

// The SIGKILL phase: tells the owner which members it SIGKILLs ("S <pid>...\n"), then
// SIGKILLs them (and, on each round of the main loop, whatever appeared since).
void EnterKilling(Tree* t) {
  if (t->killing) return;
  t->killing = true;
  std::vector<pid_t> members;
  Descendants(getpid(), &members);
  std::string line = "S";
  for (pid_t p : members) line += " " + std::to_string(p);
  WriteAll(kControlFd, line + "\n");
  for (pid_t p : members) kill(p, SIGKILL);
}

// Ends the tree: the signal to every member; SIGKILL after the grace period.
void BeginEnding(Tree* t, int sig, long long grace_ms) {
  if (t->killing) return;
  if (sig == SIGKILL || grace_ms == 0) {
    EnterKilling(t);
    return;
  }
  // A member that was stopped would not act on the signal until continued: SIGCONT after it.
  std::vector<pid_t> members;
  Descendants(getpid(), &members);
  for (pid_t p : members) {
    kill(p, sig);
    kill(p, SIGCONT);
  }
  // The earliest escalation asked for wins; -1 (never) only when nothing else was asked.
  if (grace_ms >= 0) {
    const long long at = NowMs() + grace_ms;
    if (t->escalate_at < 0 || at < t->escalate_at) t->escalate_at = at;
  }
  t->ending = true;
}

// Reaps every child that has exited. Returns false once the shepherd has no child left.
bool ReapAll(Tree* t) {
  for (;;) {
    int status = 0;
    pid_t p = waitpid(-1, &status, WNOHANG);
    if (p > 0) {
      if (p == t->main) {
        t->main_done = true;
        t->main_status = status;
        // Nothing the program started outlives it.
        BeginEnding(t, t->kill_signal, t->grace_ms);
      }
      continue;
    }
    if (p == 0) return true;
    if (errno == EINTR) continue;
    return false;  // ECHILD: the tree is empty
  }
}

// Exits as the program did: its code, or its signal (no core file of the shepherd).
[[noreturn]] void ExitAs(int status) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    struct rlimit none {};
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    raise(sig);
    _exit(128 + sig);
  }
  _exit(1);
}

// Handles one command line from the owner.
void Command(Tree* t, const char* line) {
  long long sig = 0, grace = 0;
  if (line[0] == 'K' && sscanf(line + 1, "%lld", &sig) == 1 && sig >= 0 && sig < NSIG) {
    SignalAll(static_cast<int>(sig));
  } else if (line[0] == 'T' && sscanf(line + 1, "%lld %lld", &sig, &grace) == 2 && sig > 0 && sig < NSIG) {
    BeginEnding(t, static_cast<int>(sig), grace);
  }
}

[[noreturn]] void OwnerGone(Tree* t) {
  t->owner_gone = true;
  t->killing = true;
  // SIGKILL at once: the owner cannot wait for a grace period any more. Repeat until no
  // member is listed, so that a process forked meanwhile is killed too (its own children
  // are re-parented to us and listed on the next round).
  for (;;) {
    std::vector<pid_t> members;
    Descendants(getpid(), &members);
    for (pid_t p : members) kill(p, SIGKILL);
    int status = 0;
    pid_t p = waitpid(-1, &status, 0);
    if (p < 0 && errno == ECHILD) break;
    if (p == t->main) {
      t->main_done = true;
      t->main_status = status;
    }
  }
  ExitAs(t->main_done ? t->main_status : SIGKILL);
}

int TreeMain(int argc, char** argv) {
  // tree <owner> <signal> <grace> <n> <candidates...> -- <argv...>
  long long owner = 0, sig = 0, grace = 0, n = 0;
  if (argc < 7 || !ParseInt(argv[2], &owner) || !ParseInt(argv[3], &sig) || !ParseInt(argv[4], &grace) ||
      !ParseInt(argv[5], &n) || n < 1 || 6 + n + 1 >= argc || strcmp(argv[6 + n], "--") != 0) {
    return 125;
  }
  Tree t;
  t.owner = static_cast<pid_t>(owner);
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
  const bool in_owner_group = getpgrp() != getpid();

  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) return 125;
  if (prctl(PR_SET_PDEATHSIG, DeathSignal()) < 0) return 125;
  if (getppid() != t.owner) return 125;  // the owner died before the prctl
  fcntl(kControlFd, F_SETFD, FD_CLOEXEC);

  // Every signal we act on goes through a signalfd; the rest keep their defaults.
  sigset_t handled;
  sigfillset(&handled);
  sigdelset(&handled, SIGKILL);
  sigdelset(&handled, SIGSTOP);
  sigdelset(&handled, SIGSEGV);
  sigdelset(&handled, SIGBUS);
  sigdelset(&handled, SIGFPE);
  sigdelset(&handled, SIGILL);
  sigdelset(&handled, SIGTSTP);
  sigdelset(&handled, SIGTTIN);
  sigdelset(&handled, SIGTTOU);
  sigset_t old;
  sigprocmask(SIG_BLOCK, &handled, &old);
  int sfd = signalfd(-1, &handled, SFD_CLOEXEC);
  if (sfd < 0) return 125;

  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) return 125;
  const pid_t self = getpid();
  pid_t child = fork();
  if (child < 0) {
    WriteAll(kControlFd, "E " + std::to_string(errno) + "\n");
    return 127;
  }
  if (child == 0) {
    close(report[0]);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    // The program dies with the shepherd, whoever kills it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != self) _exit(127);
    int err = unixproc::ExecCandidates(candidates, static_cast<size_t>(n), child_argv, environ);
    ssize_t unused = write(report[1], &err, sizeof err);
    (void)unused;
    _exit(127);
  }
  close(report[1]);
  if (in_owner_group) setpgid(0, 0);  // out of the owner's group; the program stays in it
  t.main = child;
  int err = 0;
  ssize_t got;
  do got = read(report[0], &err, sizeof err);
  while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got == static_cast<ssize_t>(sizeof err)) {
    int status = 0;
    waitpid(child, &status, 0);
    WriteAll(kControlFd, "E " + std::to_string(err) + "\n");
    return 127;
  }
  WriteAll(kControlFd, "R " + std::to_string(child) + "\n");

  std::string pending;
  bool control_open = true;
  for (;;) {
    if (!ReapAll(&t)) {
      if (t.main_done) ExitAs(t.main_status);
    }
    if (t.ending && !t.killing && t.escalate_at >= 0 && NowMs() >= t.escalate_at) EnterKilling(&t);
    if (t.killing) SignalAll(SIGKILL);

    struct pollfd fds[2] = {{sfd, POLLIN, 0}, {control_open ? kControlFd : -1, POLLIN, 0}};
    int timeout = -1;
    if (t.killing) {
      timeout = 20;  // members forked after the last round: list and kill again
    } else if (t.ending && t.escalate_at >= 0) {
      long long left = t.escalate_at - NowMs();
      timeout = left < 0 ? 0 : static_cast<int>(left > 1000000 ? 1000000 : left);
    }
    int r = poll(fds, 2, timeout);
    if (r < 0 && errno != EINTR) return 125;
    if (r <= 0) continue;
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si {};
      if (read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        const int signo = static_cast<int>(si.ssi_signo);
        if (getppid() != t.owner) OwnerGone(&t);
        // The death signal with the owner alive: the thread that spawned us ended, not the
        // owner (prctl(2), golang/go#27505). Nothing to do, and nothing to forward.
        if (signo != SIGCHLD && signo != DeathSignal() && !t.main_done) kill(t.main, signo);
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[256];
      ssize_t m = read(kControlFd, buf, sizeof buf);
      if (m < 0 && errno == EINTR) continue;
      if (m <= 0) {
        control_open = false;
        OwnerGone(&t);
      }
      pending.append(buf, static_cast<size_t>(m));
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        Command(&t, line.c_str());
      }
      if (pending.size() > 4096) pending.clear();  // not our protocol
    }
  }
}

// Removes dir and every cgroup below it (children first); a cgroup rmdir needs no empty
// files, only no member and no child cgroup (cgroups(7)).
void RemoveCgroupTree(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d != nullptr) {
    while (struct dirent* e = readdir(d)) {
      if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      RemoveCgroupTree(dir + "/" + e->d_name);
    }
    closedir(d);
  }
  // EBUSY while the last members are still being released after "populated 0": retry briefly.
  for (int i = 0; i < 50 && rmdir(dir.c_str()) < 0 && errno == EBUSY; i++) {
    struct timespec ts {0, 2000000};
    nanosleep(&ts, nullptr);
  }
}

bool Populated(const std::string& dir) {
  FILE* f = fopen((dir + "/cgroup.events").c_str(), "re");
  if (f == nullptr) return false;
  char key[64];
  int value = 0;
  bool populated = false;
  while (fscanf(f, "%63s %d", key, &value) == 2) {
    if (strcmp(key, "populated") == 0) populated = value != 0;
  }
  fclose(f);
  return populated;
}

// Kills every process in dir's subtree: cgroup.kill (Linux 5.14), else freeze the cgroup
// and SIGKILL each member, as cgroup.kill does in the kernel.
void KillCgroup(const std::string& dir) {
  int fd = open((dir + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t w = write(fd, "1", 1);
    close(fd);
    if (w == 1) return;
  }
  int freeze = open((dir + "/cgroup.freeze").c_str(), O_WRONLY | O_CLOEXEC);
  if (freeze >= 0) {
    ssize_t unused = write(freeze, "1", 1);
    (void)unused;
  }
  std::vector<std::string> stack{dir};
  while (!stack.empty()) {
    std::string d = stack.back();
    stack.pop_back();
    FILE* f = fopen((d + "/cgroup.procs").c_str(), "re");
    if (f != nullptr) {
      int pid = 0;
      while (fscanf(f, "%d", &pid) == 1) kill(pid, SIGKILL);
      fclose(f);
    }
    DIR* dd = opendir(d.c_str());
    if (dd == nullptr) continue;
    while (struct dirent* e = readdir(dd)) {
      if (e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
        stack.push_back(d + "/" + e->d_name);
      }
    }
    closedir(dd);
  }
  if (freeze >= 0) {
    ssize_t unused = write(freeze, "0", 1);  // SIGKILL acts once thawed
    (void)unused;
    close(freeze);
  }
}

// Kills every process of `c`'s subtree, waits until it is empty, and removes it.
void EndAndRemove(const std::string& c) {
  KillCgroup(c);
  // cgroup.events signals a change of "populated" with POLLPRI (cgroup-v2); the bounded
  // timeout only re-sends SIGKILL to a member that was being created as we killed.
  int events = open((c + "/cgroup.events").c_str(), O_RDONLY | O_CLOEXEC);
  for (int i = 0; i < 100 && Populated(c); i++) {
    struct pollfd p = {events, POLLPRI, 0};
    if (poll(&p, 1, 100) == 0) KillCgroup(c);
  }
  if (events >= 0) close(events);
  RemoveCgroupTree(c);
}

int KeeperMain(int argc, char** argv) {
  // keeper <owner> <dir> [<stale dir>...]: the stale ones (of dead owners, found by the
  // owner's sweep still populated) are ended and removed first.
  long long owner = 0;
  if (argc < 4 || !ParseInt(argv[2], &owner) || argv[3][0] != '/') return 125;
  const std::string dir = argv[3];
  if (prctl(PR_SET_PDEATHSIG, DeathSignal()) < 0) return 125;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, DeathSignal());
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) return 125;
  fcntl(kControlFd, F_SETFD, FD_CLOEXEC);
  if (getppid() == static_cast<pid_t>(owner)) {
    WriteAll(kControlFd, "R " + std::to_string(getpid()) + "\n");
    for (int i = 4; i < argc; i++) {
      if (argv[i][0] == '/') EndAndRemove(argv[i]);
    }
    for (;;) {
      struct pollfd fds[2] = {{sfd, POLLIN, 0}, {kControlFd, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
      if (fds[0].revents & POLLIN) {
        struct signalfd_siginfo si {};
        ssize_t unused = read(sfd, &si, sizeof si);
        (void)unused;
        if (getppid() != static_cast<pid_t>(owner)) break;
      }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[64];
        ssize_t m = read(kControlFd, buf, sizeof buf);
        if (m == 0 || (m < 0 && errno != EINTR && errno != EAGAIN)) break;
      }
    }
  }
  // The owner is gone: end its cgroups, wait until each is empty, remove them. The keeper
  // itself sits in <dir>/keeper (so that a sweep can tell a live owner's cgroup from a dead
  // one's, in any pid namespace: lib/contain/cgroup.ts) and leaves it last.
  std::vector<std::string> children;
  if (DIR* d = opendir(dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      if (e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
          strcmp(e->d_name, "keeper") != 0) {
        children.push_back(dir + "/" + e->d_name);
      }
    }
    closedir(d);
  }
  for (const std::string& c : children) KillCgroup(c);
  for (const std::string& c : children) EndAndRemove(c);
  const std::string parent = dir.substr(0, dir.rfind('/'));
  int procs = open((parent + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (procs >= 0) {
    ssize_t unused = write(procs, "0", 1);
    (void)unused;
    close(procs);
  }
  rmdir((dir + "/keeper").c_str());
  rmdir(dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "tree") == 0) return TreeMain(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "keeper") == 0) return KeeperMain(argc, argv);
  fprintf(stderr, "usage: unixproc-shepherd tree|keeper ... (started by unixproc's contain)\n");
  return 125;
}
