// The one native pass over a procfs tree: readdir, then per process openat + fstat + read
// of <pid>/stat, parsed here (on up to kMaxScanThreads threads, in slices of the pid list:
// ScanParallel). Man pages: proc(5) (/proc/pid/stat field numbers), openat(2),
// fstat(2), read(2), sysconf(3).
//
// Why parse in C++: the table scan has to stay within 1.3x of a bare C loop doing the same
// syscalls (issue 5). Building strings for JavaScript to split costs more than the parse
// itself, so the numbers go back in one Float64Array (kScanFields per process) and the
// comms in one NUL-separated string (a comm cannot hold NUL). TypeScript shapes them.
//
// Why fstat on the open stat fd: procfs sets the inode owner of every /proc/<pid>/* file
// to the task's effective uid/gid (or root for a non-dumpable task) when the path is
// looked up, and the fd stays bound to that task. So the owner read this way belongs to
// the same process as the stat text, even if the pid is recycled a microsecond later;
// fstatat on the directory would not guarantee that. It costs ~1% of the scan, where
// reading /proc/<pid>/status for the uids would more than double it.
//
// Races (a process exits mid-scan): ENOENT from openat, ESRCH from read (the task was
// reaped after the open) both mean "gone": the entry is skipped. Any other error (EACCES
// under hidepid=1, for instance) keeps the pid with the errno in kErr and no fields.
// One read() of stat returns the whole text generated at once (seq_file), so an entry is
// either complete or not there: never half-read.
//
// A procfs root is an input (issue 8: the host's /proc mounted into an exporter's container,
// or a tree someone else wrote), so nothing read through it can hang, grow memory or read
// wrong numbers:
// - The root must be a procfs (fstatfs(2) f_type PROC_SUPER_MAGIC, on the fd that is then
//   scanned, so it cannot be swapped in between) unless the caller allows a fixture tree;
//   otherwise the call returns -EMEDIUMTYPE, which TypeScript turns into
//   ERR_INVALID_ARG_VALUE.
// - Every file is opened O_NONBLOCK (a FIFO opens at once instead of waiting for a writer),
//   O_NOFOLLOW (a final symlink is ELOOP: /proc/<pid>/exe, cwd, root and fd/* are read with
//   readlinkat, never opened through) and O_NOCTTY, then fstat(2)ed: anything but a regular
//   file is refused (EISDIR a directory, ELOOP a symlink, EINVAL a FIFO, socket or device).
//   In a fixture tree the file is also checked with fstatat(AT_SYMLINK_NOFOLLOW) before it
//   is opened, so that a device node is not even opened.
// - Every read is bounded by a cap per kind of file (kStatCap and the Cap* constants below).
// - Every stat field is range-checked (a pid field is an int, flags a u32, counters at most
//   2^53 - 1 so that a double holds them exactly): an entry out of range is EPROTO, as a
//   malformed one is.
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "addon.h"

namespace unixproc {

// fstat(2) and fstatat(2) as raw syscalls: glibc made them exported functions only in 2.33
// (before, an inline call of __fxstat64), so calling them would tie the prebuilt binary to
// glibc >= 2.33 (native/glibc_versions.h). The kernel's struct stat is the libc's on x86_64
// and aarch64 (glibc and musl alike).
static int FstatFd(int fd, struct stat* sb) {
  return static_cast<int>(syscall(SYS_fstat, fd, sb));
}

static int FstatAt(int dirfd, const char* name, struct stat* sb, int flags) {
  return static_cast<int>(syscall(SYS_newfstatat, dirfd, name, sb, flags));
}

// Layout of one scanned entry; lib/proc/binding.ts mirrors it.
enum ScanField {
  kPid = 0,
  kErr,          // 0, or the errno that made the entry unreadable (fields are NaN)
  kState,        // (3) state, as its character code
  kPpid,         // (4)
  kPgrp,         // (5)
  kSession,      // (6)
  kTtyNr,        // (7)
  kTpgid,        // (8)
  kFlags,        // (9) PF_* flags
  kMinflt,       // (10)
  kMajflt,       // (12)
  kUtime,        // (14) clock ticks
  kStime,        // (15)
  kCutime,       // (16)
  kCstime,       // (17)
  kPriority,     // (18)
  kNice,         // (19)
  kNumThreads,   // (20)
  kStartTime,    // (22) clock ticks since boot
  kVsize,        // (23) bytes
  kRss,          // (24) pages
  kProcessor,    // (39) CPU last run on, NaN if the kernel does not report it
  kUid,          // owner of the stat file: effective uid (root if not dumpable)
  kGid,          // owner of the stat file: effective gid
  kScanFields,
  // Read, not returned: (38) exit_signal, -1 exactly for a task that is not a thread group
  // leader (kernel/fork.c copy_process: CLONE_THREAD sets it to -1; de_thread gives a
  // thread that execs as leader SIGCHLD). See ProcScan on why a tid is not a process.
  kExitSignal = kScanFields,
  kRowFields
};

// What a field may hold (the kernel's type for it in fs/proc/array.c do_task_stat): a value
// outside it is not something a kernel wrote, and is refused rather than wrapped.
enum FieldRange {
  kInt,     // int (pid_t, dev_t as int, signal numbers, CPU numbers): INT_MIN .. INT_MAX
  kUint32,  // unsigned int (flags): 0 .. 2^32 - 1
  kCount,   // unsigned long / long long counts: 0 .. 2^53 - 1 (exact in a double)
  kLong,    // long that may be negative (priority, nice, num_threads): |v| <= 2^53 - 1
};

// Field numbers (proc(5), 1-based) of the values above, counted from field 3 (state).
struct StatColumn {
  int field;
  ScanField slot;
  FieldRange range;
};
static const StatColumn kColumns[] = {
    {4, kPpid, kInt},          {5, kPgrp, kInt},          {6, kSession, kInt},
    {7, kTtyNr, kInt},         {8, kTpgid, kInt},         {9, kFlags, kUint32},
    {10, kMinflt, kCount},     {12, kMajflt, kCount},     {14, kUtime, kCount},
    {15, kStime, kCount},      {16, kCutime, kCount},     {17, kCstime, kCount},
    {18, kPriority, kLong},    {19, kNice, kLong},        {20, kNumThreads, kLong},
    {22, kStartTime, kCount},  {23, kVsize, kCount},      {24, kRss, kCount},
    {38, kExitSignal, kInt},   {39, kProcessor, kInt},
};
static const unsigned long long kMaxExact = (1ULL << 53) - 1;

// Whether `v` (with its sign) fits `range`.
static bool InRange(unsigned long long v, bool negative, FieldRange range) {
  switch (range) {
    case kInt: return negative ? v <= static_cast<unsigned long long>(INT_MAX) + 1 : v <= INT_MAX;
    case kUint32: return !negative && v <= UINT_MAX;
    case kCount: return !negative && v <= kMaxExact;
    case kLong: return v <= kMaxExact;
  }
  return false;
}

// Caps on what is read per file (bytes). Past the cap an entry's stat is EFBIG; a cmdline or
// environ is cut at the cap and reported as truncated; status and fdinfo are cut (what is
// parsed from them, the Uid/Gid and flags lines, comes first).
// A stat line is at most ~1.2 KiB: 52 fields of at most 20 digits, and a comm of at most 64
// bytes (TASK_COMM_LEN, or a workqueue's longer name); 4 KiB leaves room for new fields.
static const size_t kStatCap = 4096;
// The argument and environment areas are bounded by the stack limit (a quarter of
// RLIMIT_STACK, execve(2) "Limits on size of arguments and environment"): 2 MiB is that
// bound under the default 8 MiB stack limit.
static const size_t kCapArgs = static_cast<size_t>(2) << 20;
// /proc/<pid>/status is ~1.5 KiB.
static const size_t kCapStatus = static_cast<size_t>(64) << 10;
static const int kLastRequiredField = 24;

// A directory name that is a pid as procfs writes one: decimal, no leading zero, at most
// INT_MAX. Anything else ("0001", twenty digits) is not a process and is not listed.
static bool PidName(const char* s, int* pid) {
  if (*s < '1' || *s > '9') return false;
  long long v = 0;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') return false;
    v = v * 10 + (*s - '0');
    if (v > INT_MAX) return false;
  }
  *pid = static_cast<int>(v);
  return true;
}

// The errno for a file that is not a regular one, 0 for a regular file.
static int NotRegular(mode_t mode) {
  if (S_ISREG(mode)) return 0;
  if (S_ISDIR(mode)) return EISDIR;
  if (S_ISLNK(mode)) return ELOOP;
  return EINVAL;  // FIFO, socket, character or block device
}

// Opens `name` under `dirfd` to read it, or returns -errno: never waits (a FIFO), never
// follows a final symlink, never acquires a controlling terminal, and refuses anything but
// a regular file (every file procfs has is one). In a fixture tree (`fixture`) the file is
// looked at before it is opened too, so that a device node is not opened at all; the fstat
// after the open is what counts (the file may be swapped in between). `sb` gets its stat.
static int OpenRegularAt(int dirfd, const char* name, bool fixture, struct stat* sb) {
  if (fixture) {
    if (FstatAt(dirfd, name, sb, AT_SYMLINK_NOFOLLOW) < 0) return -errno;
    int err = NotRegular(sb->st_mode);
    if (err != 0) return -err;
  }
  int fd = RetryEintr([&] {
    return openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
  });
  if (fd < 0) return -errno;
  int err = FstatFd(fd, sb) < 0 ? errno : NotRegular(sb->st_mode);
  if (err != 0) {
    close(fd);
    return -err;
  }
  return fd;
}

// Reads fd to its end, or `cap` bytes: `*truncated` says there was more. Returns 0 or an
// errno. It reads one byte past the cap to tell "exactly cap bytes" from "more".
static int ReadBounded(int fd, size_t cap, std::string* out, bool* truncated) {
  out->clear();
  *truncated = false;
  char buf[4096];
  for (;;) {
    size_t want = cap + 1 - out->size();
    if (want > sizeof(buf)) want = sizeof(buf);
    ssize_t n = RetryEintr([&] { return read(fd, buf, want); });
    if (n < 0) return errno;
    if (n == 0) return 0;
    size_t room = cap - out->size();
    if (static_cast<size_t>(n) > room) {
      out->append(buf, room);
      *truncated = true;
      return 0;
    }
    out->append(buf, static_cast<size_t>(n));
  }
}

// Opens `dir` as a root to scan: a procfs, or any directory when `fixture`. Returns the fd
// or -errno (-EMEDIUMTYPE: not a procfs).
static int OpenRoot(const std::string& dir, bool fixture) {
  int fd = RetryEintr([&] { return open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) return -errno;
  if (!fixture) {
    struct statfs fs;
    int err = fstatfs(fd, &fs) < 0 ? errno : (fs.f_type == PROC_SUPER_MAGIC ? 0 : EMEDIUMTYPE);
    if (err != 0) {
      close(fd);
      return -err;
    }
  }
  return fd;
}

// Parses "pid (comm) state f4 f5 ..." into out[]; comm is everything between the first
// '(' and the LAST ')', because a comm may itself hold spaces, parentheses and newlines
// (a process named "x) Z 1 (y" must not read as a zombie). Returns false if malformed.
// This runs once per process per scan, so it skips unwanted fields with memchr and
// accumulates digits in an integer (profiled: it was a third of the scan's user time).
static bool ParseStat(const char* text, size_t len, double* out, std::string* comm) {
  const char* end = text + len;
  const char* open = static_cast<const char*>(memchr(text, '(', len));
  const char* close = static_cast<const char*>(memrchr(text, ')', len));
  if (open == nullptr || close == nullptr || close < open || close + 3 >= end) return false;
  comm->assign(open + 1, close - open - 1);
  const char* p = close + 2;  // ") " then the state letter
  out[kState] = static_cast<unsigned char>(*p);
  p++;
  int field = 3;
  size_t col = 0;
  const size_t ncols = sizeof(kColumns) / sizeof(kColumns[0]);
  while (col < ncols) {
    if (p >= end || *p != ' ') break;
    p++;
    field++;
    if (kColumns[col].field != field) {
      const void* sp = memchr(p, ' ', end - p);
      if (sp == nullptr) {
        p = end;
        break;
      }
      p = static_cast<const char*>(sp);
      continue;
    }
    bool negative = false;
    if (p < end && *p == '-') {
      negative = true;
      p++;
    }
    const char* digits = p;
    unsigned long long v = 0;
    while (p < end && static_cast<unsigned>(*p - '0') <= 9) {
      // Past 2^53 no field is in range: stop before the accumulator can wrap.
      if (v > kMaxExact) return false;
      v = v * 10 + static_cast<unsigned>(*p - '0');
      p++;
    }
    if (p == digits || (p < end && *p != ' ' && *p != '\n')) return false;
    if (!InRange(v, negative, kColumns[col].range)) return false;
    double d = static_cast<double>(v);
    out[kColumns[col].slot] = negative ? -d : d;
    col++;
  }
  // Fields after the last wanted one need not be there (older kernels stop earlier).
  int parsed = col == ncols ? kColumns[ncols - 1].field : field;
  return parsed >= kLastRequiredField;
}

// rss from <name>/statm (its second field, in pages), as ps and psutil read it: stat's
// field 24 comes from the same mm counters but this kernel folds per-CPU deltas into it
// only now and then (SPLIT_RSS_COUNTING), so it lags behind; statm (and VmRSS) add them
// up when read (issue 13: stat agreed with psutil 43% of the time). Where statm cannot be
// read (a fixture tree without it, a process that just went), stat's value stays.
static void ReadStatmRss(int rootfd, const char* name, bool fixture, double* out) {
  char path[64];
  size_t nlen = strlen(name);
  if (nlen + sizeof("/statm") > sizeof(path)) return;
  memcpy(path, name, nlen);
  memcpy(path + nlen, "/statm", sizeof("/statm"));
  struct stat sb;
  int fd = OpenRegularAt(rootfd, path, fixture, &sb);
  if (fd < 0) return;
  // Seven counts of at most 20 digits each.
  char buf[192];
  ssize_t n = RetryEintr([&] { return read(fd, buf, sizeof(buf) - 1); });
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  char* p = buf;
  char* end = nullptr;
  strtoull(p, &end, 10);  // size
  if (end == p || *end != ' ') return;
  p = end + 1;
  if (*p < '0' || *p > '9') return;
  errno = 0;
  unsigned long long resident = strtoull(p, &end, 10);
  if (end == p || errno != 0 || resident > kMaxExact || (*end != ' ' && *end != '\n')) return;
  out[kRss] = static_cast<double>(resident);
}

// Reads <name>/stat under rootfd into out[]/comm (and, with `statm`, the rss from statm). Returns 0 on success, -1 if the
// process is gone (skip it), or a positive errno for an entry that stays listed: EFBIG for
// a stat longer than kStatCap, EPROTO for one that is malformed or out of range, EISDIR,
// ELOOP or EINVAL for one that is not a regular file.
static int ScanOne(int rootfd, const char* name, bool fixture, bool statm, double* out, std::string* comm) {
  char path[64];
  size_t nlen = strlen(name);
  if (nlen + sizeof("/stat") > sizeof(path)) return -1;
  memcpy(path, name, nlen);
  memcpy(path + nlen, "/stat", sizeof("/stat"));
  for (int i = 0; i < kRowFields; i++) out[i] = NAN;
  out[kErr] = 0;

  struct stat sb;
  int fd = OpenRegularAt(rootfd, path, fixture, &sb);
  if (fd < 0) return (fd == -ENOENT || fd == -ESRCH) ? -1 : -fd;
  out[kUid] = sb.st_uid;
  out[kGid] = sb.st_gid;
  // One read: procfs generates the whole line at once (seq_file), and one byte past the
  // cap says the file is longer than any stat line.
  char buf[kStatCap + 1];
  ssize_t n = RetryEintr([&] { return read(fd, buf, sizeof(buf)); });
  int err = n < 0 ? errno : 0;
  close(fd);
  if (err == ENOENT || err == ESRCH) return -1;
  if (err != 0) return err;
  if (n == 0) return -1;  // reaped between open and read on older kernels
  if (n == static_cast<ssize_t>(sizeof(buf))) return EFBIG;
  if (!ParseStat(buf, static_cast<size_t>(n), out, comm)) return EPROTO;
  if (statm) ReadStatmRss(rootfd, name, fixture, out);
  return 0;
}

// Optional per-process extras (procScan's third argument is a mask of these). They are
// read through a dirfd of /proc/<pid>, which stays bound to that task: after the pid is
// reused, openat through it fails with ENOENT instead of reading the newcomer's files.
enum Extra {
  kExtraCmdline = 1,   // <pid>/cmdline, raw (NUL-separated)
  kExtraExe = 2,       // readlink <pid>/exe
  kExtraCwd = 4,       // readlink <pid>/cwd
  kExtraStatus = 8,    // <pid>/status, raw
  kExtraEnviron = 16,  // <pid>/environ, raw
  kExtraFdCount = 32,  // number of entries in <pid>/fd
  kExtraStdio = 64,    // readlink <pid>/fd/0..2, each "+target" or "-errno", joined by '\0'
  kExtraLast = 64
};

// An extra value: a string, a count, or -errno (the field is unknown, e.g. EACCES).
struct ExtraValue {
  bool is_string = false;
  bool truncated = false;  // a string cut at its cap
  std::string text;
  double number = 0;
};

// Reads a regular file relative to dirfd, at most `cap` bytes. Returns 0 or an errno.
static int ReadAllAt(int dirfd, const char* name, size_t cap, bool fixture, std::string* out,
                     bool* truncated) {
  out->clear();
  *truncated = false;
  struct stat sb;
  int fd = OpenRegularAt(dirfd, name, fixture, &sb);
  if (fd < 0) return -fd;
  int err = ReadBounded(fd, cap, out, truncated);
  close(fd);
  if (err != 0) out->clear();
  return err;
}

// readlinkat(2) does not say whether it truncated: a result that fills the buffer may have
// been cut, so it is read again with a larger one until the target fits. /proc links are at
// most PATH_MAX - 1 bytes today (fs/proc/base.c do_proc_readlink), and so are symlinks on
// disk, but nothing here relies on that; past 1 MiB the answer is ENAMETOOLONG, never a
// truncated target. Most targets fit the first, small buffer.
static int ReadLinkAt(int dirfd, const char* name, std::string* out) {
  char small[256];
  ssize_t n = readlinkat(dirfd, name, small, sizeof(small));
  if (n < 0) return errno;
  if (static_cast<size_t>(n) < sizeof(small)) {
    out->assign(small, static_cast<size_t>(n));
    return 0;
  }
  for (size_t size = 4096; size <= (static_cast<size_t>(1) << 20); size *= 2) {
    out->resize(size);
    n = readlinkat(dirfd, name, &(*out)[0], size);
    if (n < 0) {
      int err = errno;
      out->clear();
      return err;
    }
    if (static_cast<size_t>(n) < size) {
      out->resize(static_cast<size_t>(n));
      return 0;
    }
  }
  out->clear();
  return ENAMETOOLONG;
}

static int CountEntriesAt(int dirfd, const char* name, double* count) {
  // O_DIRECTORY: a FIFO (or anything but a directory) is ENOTDIR before it is opened.
  int fd = RetryEintr([&] {
    return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  });
  if (fd < 0) return errno;
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    close(fd);
    return err;
  }
  double n = 0;
  for (struct dirent* e; (e = readdir(d)) != nullptr;) {
    if (e->d_name[0] != '.') n++;
  }
  closedir(d);
  *count = n;
  return 0;
}

// The targets of fds 0, 1 and 2, for the daemon evidence. Errors are per fd (ENOENT: that
// fd is closed; EACCES: not ours to look at), so they are encoded rather than returned.
static void ReadStdioAt(int dirfd, std::string* out) {
  out->clear();
  static const char* const kNames[] = {"fd/0", "fd/1", "fd/2"};
  for (int i = 0; i < 3; i++) {
    std::string target;
    int err = ReadLinkAt(dirfd, kNames[i], &target);
    if (i > 0) out->push_back('\0');
    if (err == 0) {
      out->push_back('+');
      out->append(target);
    } else {
      out->push_back('-');
      out->append(std::to_string(err));
    }
  }
}

// Reads the extras in `mask` for one process. Returns false if the process turned out to
// be gone (its entry is then dropped: it is no longer in the table).
static bool ReadExtras(int dirfd, int mask, bool fixture, std::vector<ExtraValue>* values) {
  for (int bit = 1; bit <= kExtraLast; bit <<= 1) {
    if ((mask & bit) == 0) continue;
    ExtraValue v;
    int err = 0;
    switch (bit) {
      case kExtraCmdline: err = ReadAllAt(dirfd, "cmdline", kCapArgs, fixture, &v.text, &v.truncated); break;
      case kExtraExe: err = ReadLinkAt(dirfd, "exe", &v.text); break;
      case kExtraCwd: err = ReadLinkAt(dirfd, "cwd", &v.text); break;
      case kExtraStatus: err = ReadAllAt(dirfd, "status", kCapStatus, fixture, &v.text, &v.truncated); break;
      case kExtraEnviron: err = ReadAllAt(dirfd, "environ", kCapArgs, fixture, &v.text, &v.truncated); break;
      case kExtraFdCount: err = CountEntriesAt(dirfd, "fd", &v.number); break;
      case kExtraStdio: ReadStdioAt(dirfd, &v.text); break;
      default: break;
    }
    // ENOENT/ESRCH can mean "gone", or only "no mm / no fs" (readlink of exe in a kernel
    // thread or a zombie, environ of a kernel thread). The dirfd tells them apart: once
    // the task is gone, nothing under it can be looked up any more.
    if (err == ESRCH || err == ENOENT) {
      struct stat sb;
      if (FstatAt(dirfd, "stat", &sb, 0) < 0) return false;
    }
    if (err != 0) {
      v.number = -err;
      v.truncated = false;
    } else {
      v.is_string = bit != kExtraFdCount;
    }
    values->push_back(std::move(v));
  }
  return true;
}

// Text read from /proc goes to JavaScript as latin1 (one char per byte), never decoded
// here: a comm or cmdline need not be UTF-8, and a UTF-8 decode would turn its bytes into
// U+FFFD for good. lib/proc/binding.ts decodes it losslessly (issue 13).
static Napi::Value Latin1String(Napi::Env env, const std::string& bytes) {
  napi_value value;
  if (napi_create_string_latin1(env, bytes.data(), bytes.size(), &value) != napi_ok) return env.Undefined();
  return Napi::Value(env, value);
}

// rss in pages from status's "VmRSS:\t<kB> kB" line, as the kernel writes it. False
// (nothing set) when there is no such line or it is not exactly that.
static bool StatusRss(const std::string& text, double* pages) {
  static const char kKey[] = "\nVmRSS:";
  size_t at = text.find(kKey);
  if (at == std::string::npos) return false;
  const char* p = text.data() + at + sizeof(kKey) - 1;
  const char* end = text.data() + text.size();
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  unsigned long long kb = 0;
  const char* digits = p;
  while (p < end && *p >= '0' && *p <= '9') {
    if (kb > kMaxExact) return false;
    kb = kb * 10 + static_cast<unsigned>(*p - '0');
    p++;
  }
  if (p == digits || end - p < 3 || memcmp(p, " kB", 3) != 0 || (end - p > 3 && p[3] != '\n')) return false;
  long page = sysconf(_SC_PAGESIZE);
  if (page < 1024 || page % 1024 != 0) return false;
  unsigned long long per = static_cast<unsigned long long>(page) / 1024;
  if (kb % per != 0) return false;
  *pages = static_cast<double>(kb / per);
  return true;
}

// Cuts a status text down to what lib/proc/status.ts parseStatus reads, its Uid, Gid and
// VmLck lines, so that a scan does not hand JavaScript ~1.5 KiB per process to decode and
// search. The cut text parses exactly as the whole one, and it is only cut when that is
// certain; otherwise it is left whole:
// - Only a text of printable ASCII, tabs and newlines is cut. Then the parser's lines are
//   the '\n' lines (no \r, U+2028 or U+2029 to start a line for its regex's ^) and its \s
//   is space, tab or newline.
// - Every line starting "Uid:", "Gid:" or "VmLck:" is kept, in order, each after a '\n'
//   as in the text, except a kept first line, which stays at offset 0 (the parser treats a
//   line at 0 apart: it takes a later "\nUid:" line over it).
// - A "VmLck:" line with nothing but blanks after the colon leaves the text whole: the
//   parser's /^VmLck:\s*(\d+) kB$/m could match across it into the lines that follow.
static void KeepCredentialLines(std::string* text) {
  for (unsigned char c : *text) {
    if (c != '\n' && c != '\t' && (c < 0x20 || c > 0x7e)) return;
  }
  std::string out;
  out.reserve(96);
  size_t pos = 0;
  const size_t n = text->size();
  for (;;) {
    size_t nl = text->find('\n', pos);
    size_t end = nl == std::string::npos ? n : nl;
    const char* line = text->data() + pos;
    size_t len = end - pos;
    bool keep = false;
    if (len >= 4 && (memcmp(line, "Uid:", 4) == 0 || memcmp(line, "Gid:", 4) == 0)) {
      keep = true;
    } else if (len >= 6 && memcmp(line, "VmLck:", 6) == 0) {
      size_t k = 6;
      while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
      if (k == len) return;  // blanks only: leave the text whole
      keep = true;
    }
    if (keep) {
      if (pos != 0) out.push_back('\n');
      out.append(line, len);
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  text->swap(out);
}

// What a scan of some entries gathered, in entry order: kScanFields numbers per entry, the
// comms (each followed by '\0') and the extras (one value per bit of the mask per entry).
struct ScanPart {
  std::vector<double> values;
  std::vector<ExtraValue> extras;
  std::string comms;
};

// Reads entry `name` (a pid as a decimal string) under rootfd into `part`, or leaves it out
// when the process is gone. `named`: the pid was asked for, so a thread id is left out too.
// Touches nothing but its arguments and the files it opens: the parallel scan runs it on
// several threads at once, each with its own `part`.
static void TakeEntry(int rootfd, const char* name, int mask, bool fixture, bool named, ScanPart* part) {
  double row[kRowFields];
  std::string comm;
  std::vector<ExtraValue>& extras = part->extras;
  int base = rootfd;
  int pidfd = -1;
  int dir_err = 0;
  if (mask != 0) {
    pidfd = RetryEintr([&] { return openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (pidfd < 0 && (errno == ENOENT || errno == ESRCH)) return;
    if (pidfd >= 0) base = pidfd;
    else dir_err = errno;
  }
  // On a procfs, status carries the rss statm would give (VmRSS and statm's resident are
  // the same counters summed the same way, fs/proc/task_mmu.c task_mem and task_statm), so
  // when status is read anyway statm is not: one open and read less per process. Where
  // status has no VmRSS (no mm: a kernel thread, a zombie) or cannot be read, statm is read
  // as before. A fixture tree reads statm always (its files need not agree).
  const bool rss_from_status = (mask & kExtraStatus) != 0 && !fixture;
  int r = ScanOne(base, pidfd >= 0 ? "." : name, fixture, !rss_from_status, row, &comm);
  if (r == 0 && named && row[kExitSignal] == -1) r = -1;  // a thread id, not a process
  row[kPid] = strtol(name, nullptr, 10);
  size_t mark = extras.size();
  if (r == 0 && pidfd >= 0 && !ReadExtras(pidfd, mask, fixture, &extras)) r = -1;
  if (r == 0 && (mask & kExtraStatus) != 0) {
    ExtraValue* status = nullptr;
    if (pidfd >= 0) status = &extras[mark + __builtin_popcount(static_cast<unsigned>(mask & (kExtraStatus - 1)))];
    bool have_rss = false;
    if (status != nullptr && status->is_string) {
      if (rss_from_status) have_rss = StatusRss(status->text, &row[kRss]);
      KeepCredentialLines(&status->text);
    }
    if (rss_from_status && !have_rss) ReadStatmRss(base, pidfd >= 0 ? "." : name, fixture, row);
  }
  if (pidfd >= 0) close(pidfd);
  if (r < 0) {
    extras.resize(mark);
    return;
  }
  if (r > 0) {
    for (int i = 2; i < kScanFields; i++) row[i] = NAN;
    row[kErr] = r;
    comm.clear();
  }
  // Every entry carries one value per extra: -errno when they could not be read (the
  // stat was unreadable, or the directory could not be opened as itself).
  if (r > 0 || (mask != 0 && pidfd < 0)) {
    extras.resize(mark);
    int err = r > 0 ? r : dir_err;
    for (int bit = 1; bit <= kExtraLast; bit <<= 1) {
      if ((mask & bit) == 0) continue;
      ExtraValue v;
      v.number = -err;
      extras.push_back(std::move(v));
    }
  }
  part->values.insert(part->values.end(), row, row + kScanFields);
  part->comms.append(comm);
  part->comms.push_back('\0');
}

// Every numeric entry of the directory rootfd, in readdir order (ascending pids on a
// procfs). Returns 0 or an errno.
static int ListPids(int rootfd, std::vector<int>* pids) {
  int dirfd = dup(rootfd);
  DIR* d = dirfd < 0 ? nullptr : fdopendir(dirfd);
  if (d == nullptr) {
    int err = errno;
    if (dirfd >= 0) close(dirfd);
    return err;
  }
  pids->reserve(1024);
  for (;;) {
    struct dirent* e = readdir(d);
    if (e == nullptr) break;
    int pid = 0;
    if (PidName(e->d_name, &pid)) pids->push_back(pid);
  }
  closedir(d);
  return 0;
}

// The parallel scan. The time of a table scan is the kernel's: per process an openat,
// fstat and read of stat, statm and (for ps) status, ~40 us each. Those are independent
// per process, so the pid list is cut into contiguous slices read by up to kMaxScanThreads
// threads at once (the calling thread reads the first slice), each into its own ScanPart;
// the parts are then joined in slice order, so the result is what one thread reading the
// list in order would give. What makes that safe:
// - A worker calls no N-API and touches no JavaScript value; it shares only rootfd (openat
//   on one directory fd from several threads is safe) and reads its slice of the pid list,
//   which nobody writes while they run.
// - Races are per entry, as in a sequential scan: a process that exits between readdir
//   and its reads is left out (ENOENT/ESRCH), whichever thread reads it.
// - Bounded: at most kMaxScanThreads threads (fewer on fewer CPUs, none below
//   kMinPerThread entries each), 256 KiB stacks, every signal blocked in them (Node's
//   handlers run on its own threads), all joined before the call returns. A thread that
//   cannot be created (EAGAIN) leaves its slice to the calling thread: never fewer entries.
static const size_t kMaxScanThreads = 4;
static const size_t kMinPerThread = 128;

struct ScanSlice {
  int rootfd;
  const int* pids;
  size_t count;
  int mask;
  bool fixture;
  // Set by the owner of a prefetched scan that is thrown away (ScanJob): the slice stops at
  // the next entry. Null for a scan the caller waits for.
  const std::atomic<bool>* cancel;
  ScanPart part;
};

static void ScanSliceRun(ScanSlice* s) {
  s->part.values.reserve(s->count * kScanFields);
  s->part.comms.reserve(s->count * 16);
  for (size_t i = 0; i < s->count; i++) {
    if (s->cancel != nullptr && s->cancel->load(std::memory_order_relaxed)) return;
    char name[16];
    snprintf(name, sizeof(name), "%d", s->pids[i]);
    TakeEntry(s->rootfd, name, s->mask, s->fixture, false, &s->part);
  }
}

static void ScanSliceThread(void* arg) {
  ScanSliceRun(static_cast<ScanSlice*>(arg));
}

// CPUs this thread may run on (sched_getaffinity: a cpuset or taskset limits it), at least 1.
static size_t UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n < 1 ? 1 : static_cast<size_t>(n);
}

// The slices of one scan and the threads reading them: the calling thread reads the first
// slice itself and the others get threads of their own.
struct ScanJob {
  int rootfd = -1;
  std::vector<int> pids;
  std::vector<ScanSlice> slices;
};

// Signals blocked in the threads a scan starts (Node's handlers run on its own threads):
// sigprocmask is the calling thread's mask on Linux (pthread_sigmask(3)), inherited by the
// threads created while it is set. 256 KiB stacks.
// libuv's threads (Node's own libuv), not pthread_create: the glibc prebuild must need
// nothing past GLIBC_2.28 (native/glibc_versions.h), and pthread_create, pthread_join and
// pthread_sigmask moved into libc with new symbol versions (2.34, 2.32).
static void StartThreads(size_t from, size_t to, void (*run)(void*), void* (*arg)(size_t, void*), void* ctx,
                         std::vector<uv_thread_t>* tids, std::vector<bool>* started) {
  tids->resize(to);
  started->assign(to, false);
  if (from >= to) return;
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  uv_thread_options_t options;
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = static_cast<size_t>(256) << 10;
  sigprocmask(SIG_SETMASK, &all, &old);
  for (size_t i = from; i < to; i++) (*started)[i] = uv_thread_create_ex(&(*tids)[i], &options, run, arg(i, ctx)) == 0;
  sigprocmask(SIG_SETMASK, &old, nullptr);
}

static size_t ScanThreadCount(size_t entries) {
  size_t nthreads = UsableCpus();
  if (nthreads > kMaxScanThreads) nthreads = kMaxScanThreads;
  size_t by_size = entries / kMinPerThread;
  if (nthreads > by_size) nthreads = by_size;
  return nthreads < 1 ? 1 : nthreads;
}

static void* SliceArg(size_t i, void* ctx) {
  return &static_cast<ScanJob*>(ctx)->slices[i];
}

static void RunJob(ScanJob* job, int mask, bool fixture) {
  const std::vector<int>& pids = job->pids;
  size_t nthreads = ScanThreadCount(pids.size());
  job->slices.resize(nthreads);
  size_t at = 0;
  for (size_t i = 0; i < nthreads; i++) {
    size_t n = (pids.size() - at) / (nthreads - i);
    ScanSlice& slice = job->slices[i];
    slice.rootfd = job->rootfd;
    slice.pids = pids.data() + at;
    slice.count = n;
    slice.mask = mask;
    slice.fixture = fixture;
    slice.cancel = nullptr;
    at += n;
  }
  std::vector<uv_thread_t> tids;
  std::vector<bool> started;
  StartThreads(1, nthreads, ScanSliceThread, SliceArg, job, &tids, &started);
  // A thread that cannot be created (EAGAIN) leaves its slice to the calling thread: never
  // fewer entries.
  ScanSliceRun(&job->slices[0]);
  for (size_t i = 1; i < nthreads; i++) {
    if (started[i]) uv_thread_join(&tids[i]);
    else ScanSliceRun(&job->slices[i]);
  }
}

// Joins the slices' parts in slice order into `out`: what one thread reading the list in
// order would have gathered.
static void MergeSlices(std::vector<ScanSlice>& slices, ScanPart* out) {
  if (slices.size() == 1) {
    *out = std::move(slices[0].part);
    return;
  }
  size_t nvalues = 0;
  size_t nextras = 0;
  size_t ncomms = 0;
  for (const ScanSlice& s : slices) {
    nvalues += s.part.values.size();
    nextras += s.part.extras.size();
    ncomms += s.part.comms.size();
  }
  out->values.reserve(nvalues);
  out->extras.reserve(nextras);
  out->comms.reserve(ncomms);
  for (ScanSlice& s : slices) {
    out->values.insert(out->values.end(), s.part.values.begin(), s.part.values.end());
    for (ExtraValue& v : s.part.extras) out->extras.push_back(std::move(v));
    out->comms.append(s.part.comms);
  }
}

static void ScanParallel(int rootfd, std::vector<int>* pids, int mask, bool fixture, ScanPart* out) {
  ScanJob job;
  job.rootfd = rootfd;
  job.pids.swap(*pids);
  RunJob(&job, mask, fixture);
  MergeSlices(job.slices, out);
}

// What procScan returns, built from what a scan gathered.
static Napi::Value ScanResult(Napi::Env env, ScanPart* whole) {
  std::vector<double>& values = whole->values;
  std::vector<ExtraValue>& extras = whole->extras;
  std::string& comms = whole->comms;

  Napi::Float64Array array = Napi::Float64Array::New(env, values.size());
  if (!values.empty()) memcpy(array.Data(), values.data(), values.size() * sizeof(double));
  if (!comms.empty()) comms.pop_back();
  Napi::Array extraArray = Napi::Array::New(env, extras.size());
  Napi::Array truncated = Napi::Array::New(env);
  for (size_t i = 0; i < extras.size(); i++) {
    const ExtraValue& v = extras[i];
    if (v.truncated) truncated.Set(truncated.Length(), Napi::Number::New(env, static_cast<double>(i)));
    if (v.is_string) {
      extraArray.Set(static_cast<uint32_t>(i), Latin1String(env, v.text));
    } else {
      extraArray.Set(static_cast<uint32_t>(i), Napi::Number::New(env, v.number));
    }
  }
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, array);
  out.Set(1u, Latin1String(env, comms));
  out.Set(2u, extraArray);
  out.Set(3u, truncated);
  return out;
}

// procScan(dir, which, extras, fixture) -> [Float64Array(count * kScanFields), comms joined
// by '\0', extras (count * popcount(extras) values: string, number, or -errno), indices of
// the extras cut at their cap] | -errno. -EMEDIUMTYPE: dir is not on a procfs and `fixture`
// is false.
// `which`: a pid >= 0 reads only that entry (the array is then empty if it is gone); an
// array of pids reads those (gone ones are left out); -1 reads every numeric entry of dir
// (a procfs root, or /proc/<pid>/task for threads).
//
// A pid, not a tid: /proc/<tid> of a thread that is not its group's leader can be opened
// (readdir does not list it) and reads like a process whose pid is the tid. When pids are
// named (`which` a pid or a list), such an entry is left out as "no such process": its
// stat shows exit_signal -1. Under a procfs root readdir lists leaders only; a task
// directory lists every thread, leader or not, and all are kept.
static Napi::Value ProcScan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir;
  std::vector<int> some;
  int only = -1;
  int mask = 0;
  bool fixture = false;
  bool list = info[1].IsArray();
  if (!ToBytes(info[0], &dir) || !ToInt(info[2], &mask) || !ToBool(info[3], &fixture)) {
    return NegErrno(env, EINVAL);
  }
  if (list) {
    Napi::Array pids = info[1].As<Napi::Array>();
    some.reserve(pids.Length());
    for (uint32_t i = 0; i < pids.Length(); i++) {
      Napi::Value v;
      int pid = 0;
      if (!ElementOf(pids, i, &v) || !ToInt(v, &pid)) return NegErrno(env, EINVAL);
      some.push_back(pid);
    }
  } else if (!ToInt(info[1], &only)) {
    return NegErrno(env, EINVAL);
  }
  int rootfd = OpenRoot(dir, fixture);
  if (rootfd < 0) return NegErrno(env, -rootfd);

  const bool named = list || only >= 0;
  ScanPart whole;
  if (list) {
    whole.values.reserve(some.size() * kScanFields);
    for (int pid : some) TakeEntry(rootfd, std::to_string(pid).c_str(), mask, fixture, named, &whole);
  } else if (only >= 0) {
    TakeEntry(rootfd, std::to_string(only).c_str(), mask, fixture, named, &whole);
  } else {
    std::vector<int> pids;
    int err = ListPids(rootfd, &pids);
    if (err != 0) {
      close(rootfd);
      return NegErrno(env, err);
    }
    ScanParallel(rootfd, &pids, mask, fixture, &whole);
  }
  close(rootfd);
  return ScanResult(env, &whole);
}

// A whole-table scan started ahead of time (the `unixproc ps` bin starts one before it has
// loaded the rest of its code: lib/cli/prefetch.ts), read on threads of its own while the
// calling thread goes back to JavaScript. The pid list is cut into chunks of kPrefetchChunk
// entries that the threads take in order; JavaScript takes the chunks in order too
// (procScanChunk), each as soon as it is read, and builds its entries while later chunks
// are being read; a caller that finds its chunk not read yet reads the next unclaimed one
// itself rather than wait idle. Safe for the reasons ScanParallel's are: a worker touches
// only its chunk (which nothing else reads until it is marked done, under the lock) and the
// files it opens. A job never taken to its end is cancelled and joined when its handle is
// collected.
static const size_t kPrefetchChunk = 128;

struct PrefetchJob {
  int rootfd = -1;
  std::vector<int> pids;
  std::vector<ScanSlice> chunks;
  std::vector<char> done;  // under lock
  std::atomic<size_t> next{0};
  std::atomic<bool> cancel{false};
  std::vector<uv_thread_t> tids;
  std::vector<bool> started;
  uv_mutex_t lock;
  uv_cond_t cond;
  size_t taken = 0;  // chunks handed to JavaScript (the calling thread only)
  bool joined = false;
};

// Claims the next unread chunk and reads it; false when every chunk is claimed.
static bool RunNextChunk(PrefetchJob* job) {
  size_t i = job->next.fetch_add(1);
  if (i >= job->chunks.size()) return false;
  ScanSliceRun(&job->chunks[i]);
  uv_mutex_lock(&job->lock);
  job->done[i] = 1;
  uv_cond_broadcast(&job->cond);
  uv_mutex_unlock(&job->lock);
  return true;
}

static void PrefetchThread(void* arg) {
  PrefetchJob* job = static_cast<PrefetchJob*>(arg);
  while (RunNextChunk(job)) {
  }
}

static void* PrefetchArg(size_t, void* ctx) {
  return ctx;
}

// Waits until chunk k is read, reading unclaimed chunks meanwhile.
static void WaitChunk(PrefetchJob* job, size_t k) {
  for (;;) {
    uv_mutex_lock(&job->lock);
    bool ready = job->done[k] != 0;
    uv_mutex_unlock(&job->lock);
    if (ready) return;
    if (!RunNextChunk(job)) break;
  }
  uv_mutex_lock(&job->lock);
  while (job->done[k] == 0) uv_cond_wait(&job->cond, &job->lock);
  uv_mutex_unlock(&job->lock);
}

static void JoinPrefetch(PrefetchJob* job) {
  if (job->joined) return;
  // With no thread started (EAGAIN), the chunks are read here, unless thrown away.
  if (!job->cancel.load()) {
    while (RunNextChunk(job)) {
    }
  }
  for (size_t i = 0; i < job->tids.size(); i++) {
    if (job->started[i]) uv_thread_join(&job->tids[i]);
  }
  job->joined = true;
  if (job->rootfd >= 0) close(job->rootfd);
  job->rootfd = -1;
}

static void ReleasePrefetch(PrefetchJob* job) {
  job->cancel.store(true);
  JoinPrefetch(job);
  uv_cond_destroy(&job->cond);
  uv_mutex_destroy(&job->lock);
  delete job;
}

static void FinalizePrefetch(Napi::Env, PrefetchJob* job) {
  ReleasePrefetch(job);
}

// procScanStart(dir, extras) -> handle | -errno: every numeric entry of a procfs root (never
// a fixture tree), as procScan(dir, -1, extras, false) would read it.
static Napi::Value ProcScanStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir;
  int mask = 0;
  if (!ToBytes(info[0], &dir) || !ToInt(info[1], &mask)) return NegErrno(env, EINVAL);
  int rootfd = OpenRoot(dir, false);
  if (rootfd < 0) return NegErrno(env, -rootfd);
  std::vector<int> pids;
  int err = ListPids(rootfd, &pids);
  if (err != 0) {
    close(rootfd);
    return NegErrno(env, err);
  }
  PrefetchJob* job = new PrefetchJob();
  if (uv_mutex_init(&job->lock) != 0) {
    close(rootfd);
    delete job;
    return NegErrno(env, ENOMEM);
  }
  if (uv_cond_init(&job->cond) != 0) {
    uv_mutex_destroy(&job->lock);
    close(rootfd);
    delete job;
    return NegErrno(env, ENOMEM);
  }
  job->rootfd = rootfd;
  job->pids.swap(pids);
  size_t nchunks = (job->pids.size() + kPrefetchChunk - 1) / kPrefetchChunk;
  job->chunks.resize(nchunks);
  job->done.assign(nchunks, 0);
  for (size_t i = 0; i < nchunks; i++) {
    ScanSlice& c = job->chunks[i];
    c.rootfd = rootfd;
    c.pids = job->pids.data() + i * kPrefetchChunk;
    c.count = std::min(kPrefetchChunk, job->pids.size() - i * kPrefetchChunk);
    c.mask = mask;
    c.fixture = false;
    c.cancel = &job->cancel;
  }
  StartThreads(0, ScanThreadCount(job->pids.size()), PrefetchThread, PrefetchArg, job, &job->tids, &job->started);
  return Napi::External<PrefetchJob>::New(env, job, FinalizePrefetch);
}

// procScanChunk(handle) -> procScan's result for the next chunk of the table, in pid-list
// order | null after the last one (the threads are then joined) | -EINVAL (thrown away).
static Napi::Value ProcScanChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsExternal()) return NegErrno(env, EINVAL);
  PrefetchJob* job = info[0].As<Napi::External<PrefetchJob>>().Data();
  if (job == nullptr || job->cancel.load()) return NegErrno(env, EINVAL);
  if (job->taken >= job->chunks.size()) {
    JoinPrefetch(job);
    return env.Null();
  }
  size_t k = job->taken++;
  WaitChunk(job, k);
  ScanPart part = std::move(job->chunks[k].part);
  return ScanResult(env, &part);
}

// procScanDiscard(handle): stops the threads at their next entry and joins them.
static Napi::Value ProcScanDiscard(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsExternal()) return NegErrno(env, EINVAL);
  PrefetchJob* job = info[0].As<Napi::External<PrefetchJob>>().Data();
  if (job == nullptr) return NegErrno(env, EINVAL);
  job->cancel.store(true);
  JoinPrefetch(job);
  return Napi::Number::New(env, 0);
}

// procReadFile(dir, name, cap, fixture) -> [text, truncated] | -errno: one file under a
// procfs root (its `stat` for btime, <pid>/fdinfo/<fd>), opened and read as the scan reads
// its files: a regular file only, never blocking, at most `cap` bytes. -EMEDIUMTYPE: dir is
// not on a procfs and `fixture` is false.
static Napi::Value ProcReadFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir;
  std::string name;
  int64_t cap = 0;
  bool fixture = false;
  if (!ToBytes(info[0], &dir) || !ToBytes(info[1], &name) || !ToInt64(info[2], &cap) || cap < 0 ||
      !ToBool(info[3], &fixture)) {
    return NegErrno(env, EINVAL);
  }
  int rootfd = OpenRoot(dir, fixture);
  if (rootfd < 0) return NegErrno(env, -rootfd);
  std::string text;
  bool truncated = false;
  int err = ReadAllAt(rootfd, name.c_str(), static_cast<size_t>(cap), fixture, &text, &truncated);
  close(rootfd);
  if (err != 0) return NegErrno(env, err);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::String::New(env, text.data(), text.size()));
  out.Set(1u, Napi::Boolean::New(env, truncated));
  return out;
}

// procConstants() -> [fields per entry, CLK_TCK, page size]: what turns ticks and pages
// into seconds and bytes (sysconf(3)).
static Napi::Value ProcConstants(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, kScanFields));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(sysconf(_SC_CLK_TCK))));
  out.Set(2u, Napi::Number::New(env, static_cast<double>(sysconf(_SC_PAGESIZE))));
  return out;
}

void InitProcfs(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "procScan", ProcScan);
  Export(env, exports, "procScanStart", ProcScanStart);
  Export(env, exports, "procScanChunk", ProcScanChunk);
  Export(env, exports, "procScanDiscard", ProcScanDiscard);
  Export(env, exports, "procReadFile", ProcReadFile);
  Export(env, exports, "procConstants", ProcConstants);
}

}  // namespace unixproc
