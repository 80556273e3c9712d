// Finding V8's MADV_DONTFORK ranges.
//
// V8 (Node >= 20.4) marks its heap reservations MADV_DONTFORK (madvise(2)); a plain fork
// child has no JS heap. Around the fork those ranges are switched to MADV_DOFORK and
// switched back in the parent. /proc/self/smaps is the only place the kernel reports
// VM_DONTCOPY (`dc` in VmFlags, proc(5)).
#include "dont_fork.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "fork_addon.h"

namespace unixproc {

// Reading smaps costs a page-table walk per mapping (that is what makes it slow on a large
// heap), so it is read with one large buffer and a minimal parser that looks only at the
// header line and the VmFlags line of each mapping.
int FindDontForkRanges(std::vector<Range>* out) {
  int fd = RetryEintr([] { return open("/proc/self/smaps", O_RDONLY | O_CLOEXEC); });
  if (fd < 0) return -errno;
  static thread_local std::vector<char> buf;
  if (buf.empty()) buf.resize(1 << 20);
  size_t used = 0;
  for (;;) {
    if (buf.size() - used < 65536) buf.resize(buf.size() * 2);
    ssize_t n = RetryEintr([&] { return read(fd, buf.data() + used, buf.size() - used); });
    if (n < 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  close(fd);
  uintptr_t start = 0, end = 0;
  const char* p = buf.data();
  const char* limit = p + used;
  while (p < limit) {
    const char* eol = static_cast<const char*>(memchr(p, '\n', limit - p));
    if (eol == nullptr) eol = limit;
    char c = *p;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      // "start-end perms offset dev inode path": a new mapping.
      char* dash = nullptr;
      start = strtoull(p, &dash, 16);
      end = (dash != nullptr && *dash == '-') ? strtoull(dash + 1, nullptr, 16) : 0;
    } else if (c == 'V' && eol - p > 8 && memcmp(p, "VmFlags:", 8) == 0) {
      for (const char* q = p + 8; q + 2 <= eol; q += 3) {
        // Flags are two letters, each preceded by one space.
        if (q[0] == ' ' && q + 3 <= eol && q[1] == 'd' && q[2] == 'c') {
          // Adjacent ranges are merged: one madvise(2) call each way instead of many.
          if (end <= start) break;
          if (!out->empty() && out->back().end == start) out->back().end = end;
          else out->push_back({start, end});
          break;
        }
      }
    }
    p = eol + 1;
  }
  return 0;
}

// Why a layout the same byte for byte means (nearly) the same DONTFORK set. Marking a part of a
// mapping MADV_DONTFORK, or unmarking it, splits or merges VMAs; every mmap, munmap and
// mprotect moves a line or changes its permissions; so a change to the set shows in maps,
// with one exception: a range unmapped and mapped again with the same bounds, permissions,
// offset, device, inode and name. V8 marks every heap page it maps (the set is V8's pages
// and reservations), so its own remapping at the same place keeps the flag; a mapping of
// someone else's at the very bounds of a V8 page is not seen here (V8 places its pages at
// random addresses; mmap(2) without a hint goes top-down from the mmap base). The child
// does not depend on that argument: on a cached plan every anonymous mapping is switched to
// MADV_DOFORK (a no-op where it is not DONTFORK), so one that became DONTFORK behind an
// identical line is copied all the same; only the set put back to DONTFORK in the parent
// comes from the cache. tests (fork-churn) check the plan against a fresh scan between
// 1000 forks of a churning heap, and every child's heap.
namespace {
std::mutex g_layout_mutex;
std::string g_layout;            // /proc/self/maps when g_ranges were last known right
std::vector<Range> g_ranges;     // the DONTFORK ranges then
bool g_layout_valid = false;
}  // namespace

// A copy by push_back: vector's copy assignment names std::__throw_bad_array_new_length
// (GLIBCXX_3.4.29, GCC 12's headers), which ties a prebuilt addon to newer systems than
// the ones it supports (native/glibc_versions.h, scripts/check-glibc-symbols.js).
static void CopyRanges(const std::vector<Range>& from, std::vector<Range>* to) {
  to->clear();
  for (const Range& r : from) to->push_back(r);
}

// The whole of /proc/self/maps into *out. 0 or -errno.
static int ReadMaps(std::string* out) {
  int fd = RetryEintr([] { return open("/proc/self/maps", O_RDONLY | O_CLOEXEC); });
  if (fd < 0) return -errno;
  out->clear();
  char chunk[16384];
  for (;;) {
    ssize_t n = RetryEintr([&] { return read(fd, chunk, sizeof chunk); });
    if (n < 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0) break;
    out->append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  return 0;
}

// The anonymous mappings of a maps text (inode 0, no file: V8's pages and reservations,
// malloc's, [heap], [stack]; not [vvar], [vdso] or [vsyscall], where madvise fails),
// adjacent ones merged.
static void AnonymousRanges(const std::string& maps, std::vector<Range>* out) {
  const char* p = maps.data();
  const char* limit = p + maps.size();
  while (p < limit) {
    const char* eol = static_cast<const char*>(memchr(p, '\n', limit - p));
    if (eol == nullptr) eol = limit;
    char* q = nullptr;
    uintptr_t start = strtoull(p, &q, 16);
    uintptr_t end = (q != nullptr && *q == '-') ? strtoull(q + 1, &q, 16) : 0;
    // perms, offset, dev, inode, then the name (if any).
    const char* f = q;
    int field = 0;
    const char* inode = nullptr;
    while (f != nullptr && f < eol && field < 4) {
      while (f < eol && *f == ' ') f++;
      if (++field == 4) inode = f;
      while (f < eol && *f != ' ') f++;
    }
    while (f != nullptr && f < eol && *f == ' ') f++;
    bool anonymous = inode != nullptr && inode[0] == '0' && (inode + 1 == eol || inode[1] == ' ');
    bool named = f != nullptr && f < eol;
    bool special = named && !(eol - f == 6 && memcmp(f, "[heap]", 6) == 0) && !(eol - f == 7 && memcmp(f, "[stack]", 7) == 0);
    if (anonymous && !special && end > start) {
      if (!out->empty() && out->back().end == start) out->back().end = end;
      else out->push_back({start, end});
    }
    p = eol + 1;
  }
}

int DontForkRangesForFork(std::vector<Range>* out, std::vector<Range>* also, bool* cached) {
  *cached = false;
  also->clear();
  {
    std::lock_guard<std::mutex> lock(g_layout_mutex);
    if (g_layout_valid) {
      std::string now;
      if (ReadMaps(&now) == 0 && now == g_layout) {
        CopyRanges(g_ranges, out);
        // Every anonymous mapping too (MADV_DOFORK is a no-op on one that is not
        // DONTFORK): a mapping that became DONTFORK behind an identical line (the one case
        // the layout cannot show) is then in the child all the same. It is not put back to
        // DONTFORK afterwards: at worst a later child_process fork copies its page tables.
        AnonymousRanges(now, also);
        *cached = true;
        return 0;
      }
    }
  }
  return FindDontForkRanges(out);
}

void RememberLayout(const std::vector<Range>& ranges) {
  std::lock_guard<std::mutex> lock(g_layout_mutex);
  g_layout_valid = ReadMaps(&g_layout) == 0;
  if (g_layout_valid) CopyRanges(ranges, &g_ranges);
}

void ForgetLayout() {
  std::lock_guard<std::mutex> lock(g_layout_mutex);
  g_layout_valid = false;
  g_layout.clear();
  g_ranges.clear();
}

int CheckForkPlan() {
  std::vector<Range> planned, also;
  bool cached = false;
  int r = DontForkRangesForFork(&planned, &also, &cached);
  if (r < 0) return r;
  if (!cached) return 1;
  std::vector<Range> fresh;
  r = FindDontForkRanges(&fresh);
  if (r < 0) return r;
  if (fresh.size() != planned.size()) return 0;
  for (size_t i = 0; i < fresh.size(); i++) {
    if (fresh[i].start != planned[i].start || fresh[i].end != planned[i].end) return 0;
  }
  return 1;
}

int AdviseAll(const std::vector<Range>& ranges, int advice, size_t* done) {
  for (*done = 0; *done < ranges.size(); (*done)++) {
    const Range& r = ranges[*done];
    if (madvise(reinterpret_cast<void*>(r.start), r.end - r.start, advice) != 0) return -errno;
  }
  return 0;
}

// dontForkRanges() -> [count, bytes] of the MADV_DONTFORK mappings now (diagnostics and
// tests: they must be back to DONTFORK in the parent after a fork).
static Napi::Value DontForkRanges(const Napi::CallbackInfo& info) {
  std::vector<Range> ranges;
  int r = FindDontForkRanges(&ranges);
  if (r < 0) return Napi::Number::New(info.Env(), r);
  double bytes = 0;
  for (const Range& x : ranges) bytes += static_cast<double>(x.end - x.start);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(ranges.size())));
  out.Set(1u, Napi::Number::New(info.Env(), bytes));
  return out;
}

// forkPlanCheck() -> [ok, cached]: ok is 1 when the ranges the next fork would switch are
// what smaps says now (or -errno); cached whether they would come from the layout cache.
static Napi::Value ForkPlanCheck(const Napi::CallbackInfo& info) {
  std::vector<Range> planned, also;
  bool cached = false;
  int r = DontForkRangesForFork(&planned, &also, &cached);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), r < 0 ? r : CheckForkPlan()));
  out.Set(1u, Napi::Boolean::New(info.Env(), cached));
  return out;
}

void InitDontFork(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "dontForkRanges", DontForkRanges);
  Export(env, exports, "forkPlanCheck", ForkPlanCheck);
}

}  // namespace unixproc
