// The one native pass over a procfs tree: readdir, then per process openat + fstat + read
// of <pid>/stat, parsed here. Man pages: proc(5) (/proc/pid/stat field numbers), openat(2),
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
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "addon.h"

namespace unixproc {

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
  kScanFields
};

// Field numbers (proc(5), 1-based) of the values above, counted from field 3 (state).
struct StatColumn {
  int field;
  ScanField slot;
};
static const StatColumn kColumns[] = {
    {4, kPpid},       {5, kPgrp},        {6, kSession},  {7, kTtyNr},
    {8, kTpgid},      {9, kFlags},       {10, kMinflt},  {12, kMajflt},
    {14, kUtime},     {15, kStime},      {16, kCutime},  {17, kCstime},
    {18, kPriority},  {19, kNice},       {20, kNumThreads}, {22, kStartTime},
    {23, kVsize},     {24, kRss},        {39, kProcessor},
};
static const int kLastRequiredField = 24;

static bool AllDigits(const char* s) {
  if (*s == '\0') return false;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') return false;
  }
  return true;
}

// Parses "pid (comm) state f4 f5 ..." into out[]; comm is everything between the first
// '(' and the LAST ')', because a comm may itself hold spaces, parentheses and newlines
// (a process named "x) Z 1 (y" must not read as a zombie). Returns false if malformed.
static bool ParseStat(const char* text, size_t len, double* out, std::string* comm) {
  const char* end = text + len;
  const char* open = static_cast<const char*>(memchr(text, '(', len));
  const char* close = nullptr;
  for (const char* p = end; p > text;) {
    --p;
    if (*p == ')') {
      close = p;
      break;
    }
  }
  if (open == nullptr || close == nullptr || close < open || close + 3 >= end) return false;
  comm->assign(open + 1, close - open - 1);
  const char* p = close + 2;  // ") " then the state letter
  out[kState] = static_cast<unsigned char>(*p);
  p++;
  int field = 3;
  size_t col = 0;
  const size_t ncols = sizeof(kColumns) / sizeof(kColumns[0]);
  while (p < end && col < ncols) {
    while (p < end && *p == ' ') p++;
    if (p >= end || *p == '\n') break;
    field++;
    bool negative = false;
    if (*p == '-') {
      negative = true;
      p++;
    }
    double v = 0;
    bool any = false;
    while (p < end && *p >= '0' && *p <= '9') {
      v = v * 10 + (*p - '0');
      p++;
      any = true;
    }
    if (!any || (p < end && *p != ' ' && *p != '\n')) return false;
    if (kColumns[col].field == field) {
      out[kColumns[col].slot] = negative ? -v : v;
      col++;
    }
  }
  return field >= kLastRequiredField;
}

// Reads <name>/stat under rootfd into out[]/comm. Returns 0 on success, -1 if the
// process is gone (skip it), or a positive errno for an entry that stays listed.
static int ScanOne(int rootfd, const char* name, double* out, std::string* comm,
                   std::string* big) {
  char path[64];
  size_t nlen = strlen(name);
  if (nlen + sizeof("/stat") > sizeof(path)) return -1;
  memcpy(path, name, nlen);
  memcpy(path + nlen, "/stat", sizeof("/stat"));
  for (int i = 0; i < kScanFields; i++) out[i] = NAN;
  out[kPid] = strtol(name, nullptr, 10);
  out[kErr] = 0;

  int fd = RetryEintr([&] { return openat(rootfd, path, O_RDONLY | O_CLOEXEC); });
  if (fd < 0) return (errno == ENOENT || errno == ESRCH) ? -1 : errno;
  struct stat sb;
  if (fstat(fd, &sb) == 0) {
    out[kUid] = sb.st_uid;
    out[kGid] = sb.st_gid;
  }
  char buf[2048];
  ssize_t n = RetryEintr([&] { return read(fd, buf, sizeof(buf)); });
  const char* text = buf;
  size_t len = n > 0 ? static_cast<size_t>(n) : 0;
  if (n == static_cast<ssize_t>(sizeof(buf))) {
    // Longer than any real stat line; only a fixture gets here. Read the rest.
    big->assign(buf, sizeof(buf));
    for (;;) {
      ssize_t m = RetryEintr([&] { return read(fd, buf, sizeof(buf)); });
      if (m <= 0) {
        n = m;
        break;
      }
      big->append(buf, static_cast<size_t>(m));
    }
    text = big->data();
    len = big->size();
  }
  int err = n < 0 ? errno : 0;
  close(fd);
  if (err == ENOENT || err == ESRCH) return -1;
  if (err != 0) return err;
  if (len == 0) return -1;  // reaped between open and read on older kernels
  if (!ParseStat(text, len, out, comm)) return EPROTO;
  return 0;
}

// procScan(dir, pid) -> [Float64Array(count * kScanFields), comms joined by '\0'] | -errno.
// pid >= 0 reads only that entry (the array is then empty if it is gone); pid < 0 reads
// every numeric entry of dir (a procfs root, or /proc/<pid>/task for threads).
static Napi::Value ProcScan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = ArgString(info, 0);
  int only = ArgInt(info, 1);
  int rootfd = RetryEintr([&] { return open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (rootfd < 0) return NegErrno(env, errno);

  std::vector<double> values;
  std::string comms;
  std::string comm;
  std::string big;
  double row[kScanFields];
  auto take = [&](const char* name) {
    int r = ScanOne(rootfd, name, row, &comm, &big);
    if (r < 0) return;
    if (r > 0) {
      for (int i = 2; i < kScanFields; i++) row[i] = NAN;
      row[kErr] = r;
      comm.clear();
    }
    values.insert(values.end(), row, row + kScanFields);
    comms.append(comm);
    comms.push_back('\0');
  };

  if (only >= 0) {
    take(std::to_string(only).c_str());
  } else {
    int dirfd = dup(rootfd);
    DIR* d = dirfd < 0 ? nullptr : fdopendir(dirfd);
    if (d == nullptr) {
      int err = errno;
      if (dirfd >= 0) close(dirfd);
      close(rootfd);
      return NegErrno(env, err);
    }
    values.reserve(512 * kScanFields);
    comms.reserve(512 * 16);
    for (;;) {
      errno = 0;
      struct dirent* e = readdir(d);
      if (e == nullptr) break;
      if (!AllDigits(e->d_name)) continue;
      take(e->d_name);
    }
    closedir(d);
  }
  close(rootfd);

  Napi::Float64Array array = Napi::Float64Array::New(env, values.size());
  if (!values.empty()) memcpy(array.Data(), values.data(), values.size() * sizeof(double));
  if (!comms.empty()) comms.pop_back();
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, array);
  out.Set(1u, Napi::String::New(env, comms));
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
  Export(env, exports, "procConstants", ProcConstants);
}

}  // namespace unixproc
