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

void InitDontFork(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "dontForkRanges", DontForkRanges);
}

}  // namespace unixproc
