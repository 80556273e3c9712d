// nolibc: what the shepherd (native/shepherd.cc) needs of a C library, as raw system calls,
// so that it links with -nostdlib and starts in the time of an execve.
//
// Why: a statically linked glibc program spends ~350 us of its start-up in
// init_cpu_features and init_cacheinfo (cpuid, which traps on this machine kind's VM),
// before main: measured with posix_spawn+waitpid of an empty main(), 570-580 us against
// 214-218 us for a -nostdlib program that only calls exit (2026-12-02). The shepherd starts
// once per contained child, so it paid that on every spawn (docs/containment.md, Figures).
//
// Every call returns what the kernel returns: a value >= 0, or -errno (no errno variable).
// Only what the shepherd calls; x86_64 and aarch64 (the prebuilt architectures). Constants
// and structure layouts come from the kernel's uapi headers and glibc's headers (only
// macros and types are used from those; no glibc function is linked: the link would fail).
#ifndef UNIXPROC_NOLIBC_H
#define UNIXPROC_NOLIBC_H

#include <asm/unistd.h>
#include <fcntl.h>  // the O_* values: O_DIRECTORY is 0x4000 on aarch64, 0x10000 on x86_64
#include <stddef.h>

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "nolibc.h: x86_64 and aarch64 only"
#endif

namespace nl {

// ---- system calls -------------------------------------------------------------------------

#if defined(__x86_64__)
inline long Syscall6(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#else
inline long Syscall6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
#endif

inline long Sys(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  return Syscall6(n, a, b, c, d, e, f);
}
template <typename T>
inline long L(T v) {
  return (long)v;  // pointers and integers alike, as the kernel takes them
}

constexpr int kAtFdcwd = -100;
constexpr int kAtRemoveDir = 0x200;

inline long read(int fd, void* buf, size_t n) { return Sys(__NR_read, fd, L(buf), L(n)); }
inline long write(int fd, const void* buf, size_t n) { return Sys(__NR_write, fd, L(buf), L(n)); }
inline long close(int fd) { return Sys(__NR_close, fd); }
inline long open(const char* path, int flags, int mode = 0) {
  return Sys(__NR_openat, kAtFdcwd, L(path), flags, mode);
}
inline long rmdir(const char* path) { return Sys(__NR_unlinkat, kAtFdcwd, L(path), kAtRemoveDir); }
inline long getdents64(int fd, void* buf, size_t n) { return Sys(__NR_getdents64, fd, L(buf), L(n)); }
inline long pipe2(int fds[2], int flags) { return Sys(__NR_pipe2, L(fds), flags); }
inline long fcntl(int fd, int cmd, long arg = 0) { return Sys(__NR_fcntl, fd, cmd, arg); }
inline long getpid() { return Sys(__NR_getpid); }
inline long getppid() { return Sys(__NR_getppid); }
inline long getpgid(int pid) { return Sys(__NR_getpgid, pid); }
inline long setpgid(int pid, int pgid) { return Sys(__NR_setpgid, pid, pgid); }
inline long kill(int pid, int sig) { return Sys(__NR_kill, pid, sig); }
inline long prctl(int op, long a = 0, long b = 0, long c = 0, long d = 0) { return Sys(__NR_prctl, op, a, b, c, d); }
inline long execve(const char* path, char* const* argv, char* const* envp) {
  return Sys(__NR_execve, L(path), L(argv), L(envp));
}
inline long wait4(int pid, int* status, int options) { return Sys(__NR_wait4, pid, L(status), options, 0); }
// fork(2) as the C library does it on every architecture: clone with only SIGCHLD (no
// new stack: the child returns here on a copy of ours). aarch64 has no fork system call.
inline long fork() {
  constexpr long kSigchld = 17;
  return Sys(__NR_clone, kSigchld, 0, 0, 0, 0);
}
// A child that shares our memory and runs fn(arg) on `stack_top` while we are suspended
// until it execs or exits (CLONE_VM | CLONE_VFORK, as posix_spawn does it): no copy of our
// address space, and we resume at the point of no return of its exec. fn must only make
// system calls and return (its value is the child's exit code) or exec. x86_64 only (an
// aarch64 trampoline could not be run here: qemu-user turns CLONE_VM|CLONE_VFORK into a
// fork); elsewhere `kHaveCloneVfork` is false and the caller forks.
#if defined(__x86_64__)
constexpr bool kHaveCloneVfork = true;
extern "C" long nl_clone_vfork(int (*fn)(void*), void* arg, void* stack_top);
__asm__(
    ".text\n"
    ".global nl_clone_vfork\n"
    ".type nl_clone_vfork,@function\n"
    "nl_clone_vfork:\n"
    "  and $-16, %rdx\n"       // the child's stack: 16-byte aligned, fn and arg on top
    "  sub $16, %rdx\n"
    "  mov %rdi, 0(%rdx)\n"
    "  mov %rsi, 8(%rdx)\n"
    "  mov $0x4111, %edi\n"    // CLONE_VM | CLONE_VFORK | SIGCHLD
    "  mov %rdx, %rsi\n"       // the new stack
    "  xor %edx, %edx\n"       // no parent tid, child tid or tls
    "  xor %r10d, %r10d\n"
    "  xor %r8d, %r8d\n"
    "  mov $56, %eax\n"        // __NR_clone
    "  syscall\n"
    "  test %rax, %rax\n"
    "  jnz 1f\n"
    "  mov 0(%rsp), %rax\n"    // the child, on its own stack
    "  mov 8(%rsp), %rdi\n"
    "  xor %ebp, %ebp\n"
    "  call *%rax\n"
    "  mov %eax, %edi\n"
    "  mov $60, %eax\n"        // __NR_exit
    "  syscall\n"
    "  hlt\n"
    "1:\n"
    "  ret\n");
#else
constexpr bool kHaveCloneVfork = false;
inline long nl_clone_vfork(int (*)(void*), void*, void*) { return -38; /* ENOSYS */ }
#endif

[[noreturn]] inline void exit(int code) {
  for (;;) Sys(__NR_exit_group, code);
}

// The kernel's signal set: 64 bits (_NSIG 64 on both architectures), not glibc's 1024.
typedef unsigned long sigset;
constexpr int kSigsetSize = sizeof(sigset);
inline sigset SigBit(int sig) { return 1UL << (sig - 1); }
inline long sigprocmask(int how, const sigset* set, sigset* old) {
  return Sys(__NR_rt_sigprocmask, how, L(set), L(old), kSigsetSize);
}
inline long signalfd(const sigset* mask, int flags) { return Sys(__NR_signalfd4, -1, L(mask), kSigsetSize, flags); }
// The disposition back to SIG_DFL. The kernel's struct sigaction starts with the handler and
// the flags on both architectures; the rest (restorer, mask) is all zeros either way, and no
// restorer is needed without a handler.
inline long default_action(int sig) {
  unsigned long act[4] = {0, 0, 0, 0};  // SIG_DFL, no flags, no restorer, empty mask
  return Sys(__NR_rt_sigaction, sig, L(act), 0, kSigsetSize);
}

struct timespec {
  long tv_sec;
  long tv_nsec;
};
inline long clock_gettime(int clock, timespec* ts) { return Sys(__NR_clock_gettime, clock, L(ts)); }
inline long nanosleep(const timespec* ts) { return Sys(__NR_nanosleep, L(ts), 0); }

struct pollfd {
  int fd;
  short events;
  short revents;
};
// poll(2) with a millisecond timeout (-1: none), through ppoll: aarch64 has no poll.
inline long poll(pollfd* fds, unsigned long n, int timeout_ms) {
  timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  return Sys(__NR_ppoll, L(fds), L(n), timeout_ms < 0 ? 0 : L(&ts), 0, kSigsetSize);
}

struct rlimit {
  unsigned long cur;
  unsigned long max;
};
inline long setrlimit(int resource, const rlimit* rl) { return Sys(__NR_prlimit64, 0, resource, L(rl), 0); }

// ---- strings and numbers ---------------------------------------------------------------------

inline size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') n++;
  return n;
}
inline bool streq(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) a++, b++;
  return *a == *b;
}

// A strict decimal integer, optionally negative, that fits in a long long: all of s.
inline bool ParseInt(const char* s, long long* out) {
  if (s == nullptr) return false;
  bool negative = *s == '-';
  if (negative) s++;
  if (*s == '\0') return false;
  unsigned long long v = 0;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') return false;
    const unsigned d = static_cast<unsigned>(*s - '0');
    if (v > (9223372036854775808ULL - d) / 10) return false;
    v = v * 10 + d;
  }
  if (!negative && v > 9223372036854775807ULL) return false;
  *out = negative ? static_cast<long long>(0 - v) : static_cast<long long>(v);
  return true;
}

// A line buffer that is written in one write(2) when it is flushed (or fills up).
class Line {
 public:
  explicit Line(int fd) : fd_(fd) {}
  Line& Add(const char* s) {
    while (*s != '\0') Put(*s++);
    return *this;
  }
  Line& Add(long long v) {
    char digits[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0 - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
    do digits[n++] = static_cast<char>('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0) Put('-');
    while (n > 0) Put(digits[--n]);
    return *this;
  }
  // Writes all that is buffered (a short write is retried; an error means nobody reads).
  void Flush() {
    size_t off = 0;
    while (off < len_) {
      long w = write(fd_, buf_ + off, len_ - off);
      if (w == -4 /* EINTR */) continue;
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    len_ = 0;
  }

 private:
  void Put(char c) {
    if (len_ == sizeof buf_) Flush();
    buf_[len_++] = c;
  }
  int fd_;
  size_t len_ = 0;
  char buf_[4096];
};

// A path built in a fixed buffer; Push/Pop append and take back one component. A path that
// does not fit (PATH_MAX) sets ok() false: the caller skips it rather than use a cut one.
class Path {
 public:
  explicit Path(const char* s = "") { Append(s); }
  const char* c_str() const { return buf_; }
  bool ok() const { return ok_; }
  size_t size() const { return len_; }
  void Truncate(size_t n) {
    if (n <= len_) len_ = n, buf_[n] = '\0';
  }
  Path& Append(const char* s) {
    for (; *s != '\0'; s++) {
      if (len_ + 1 >= sizeof buf_) {
        ok_ = false;
        break;
      }
      buf_[len_++] = *s;
    }
    buf_[len_] = '\0';
    return *this;
  }
  Path& Append(long long v) {
    char digits[24];
    int n = 0;
    unsigned long long u = static_cast<unsigned long long>(v < 0 ? 0 : v);
    do digits[n++] = static_cast<char>('0' + u % 10);
    while ((u /= 10) != 0);
    char s[24];
    for (int i = 0; i < n; i++) s[i] = digits[n - 1 - i];
    s[n] = '\0';
    return Append(s);
  }

 private:
  char buf_[4096];
  size_t len_ = 0;
  bool ok_ = true;
};

// The entries of a directory through getdents64 (d_type included: procfs and cgroupfs fill it).
class Dir {
 public:
  explicit Dir(const char* path) : fd_(static_cast<int>(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC))) {}
  ~Dir() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  // The next entry's name ('.' and '..' skipped), or nullptr at the end or on an error.
  const char* Next(unsigned char* type) {
    for (;;) {
      if (pos_ >= len_) {
        if (fd_ < 0) return nullptr;
        long n = getdents64(fd_, buf_, sizeof buf_);
        if (n <= 0) return nullptr;
        len_ = static_cast<size_t>(n);
        pos_ = 0;
      }
      // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[]
      unsigned char* e = reinterpret_cast<unsigned char*>(buf_) + pos_;
      const unsigned short reclen = static_cast<unsigned short>(e[16] | (e[17] << 8));
      if (reclen == 0) return nullptr;
      pos_ += reclen;
      const char* name = reinterpret_cast<const char*>(e + 19);
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      *type = e[18];
      return name;
    }
  }

 private:
  int fd_;
  size_t pos_ = 0;
  size_t len_ = 0;
  alignas(8) char buf_[4096];
};

}  // namespace nl

// What the compiler may call for a structure copy or a zeroed array, even in a freestanding
// build. Byte loops, and not recognised as such (-fno-tree-loop-distribute-patterns), so
// they do not become calls to themselves.
extern "C" {
__attribute__((used)) void* memset(void* d, int c, size_t n) {
  unsigned char* p = static_cast<unsigned char*>(d);
  while (n-- > 0) *p++ = static_cast<unsigned char>(c);
  return d;
}
__attribute__((used)) void* memcpy(void* d, const void* s, size_t n) {
  unsigned char* p = static_cast<unsigned char*>(d);
  const unsigned char* q = static_cast<const unsigned char*>(s);
  while (n-- > 0) *p++ = *q++;
  return d;
}
__attribute__((used)) void* memmove(void* d, const void* s, size_t n) {
  unsigned char* p = static_cast<unsigned char*>(d);
  const unsigned char* q = static_cast<const unsigned char*>(s);
  if (p < q) {
    while (n-- > 0) *p++ = *q++;
  } else {
    while (n-- > 0) p[n] = q[n];
  }
  return d;
}
}

// The entry point: the kernel leaves argc, argv[], NULL, envp[], NULL on the stack
// (System V ABI for each architecture). Calls nl_main(argc, argv, envp) and exits with its
// value. Include this header in one file only (it defines _start, memset, memcpy, memmove).
int nl_main(int argc, char** argv, char** envp);
extern "C" [[noreturn]] __attribute__((used)) void nl_start_c(long* sp) {
  const int argc = static_cast<int>(sp[0]);
  char** argv = reinterpret_cast<char**>(sp + 1);
  nl::exit(nl_main(argc, argv, argv + argc + 1));
}
#if defined(__x86_64__)
__asm__(
    ".text\n"
    ".global _start\n"
    ".type _start,@function\n"
    "_start:\n"
    "  xor %rbp, %rbp\n"
    "  mov %rsp, %rdi\n"
    "  and $-16, %rsp\n"
    "  call nl_start_c\n"
    "  hlt\n");
#else
__asm__(
    ".text\n"
    ".global _start\n"
    ".type _start,%function\n"
    "_start:\n"
    "  mov x29, #0\n"
    "  mov x30, #0\n"
    "  mov x0, sp\n"
    "  and sp, x0, #-16\n"
    "  bl nl_start_c\n"
    "  brk #0\n");
#endif

#endif  // UNIXPROC_NOLIBC_H
