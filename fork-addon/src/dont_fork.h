// V8's MADV_DONTFORK ranges, switched to MADV_DOFORK around a fork (madvise(2)).
#ifndef UNIXPROC_DONT_FORK_H
#define UNIXPROC_DONT_FORK_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace unixproc {

struct Range {
  uintptr_t start;
  uintptr_t end;
};

// The mappings marked MADV_DONTFORK now (VmFlags `dc` in proc(5)), adjacent ones merged.
// Returns 0 or -errno.
int FindDontForkRanges(std::vector<Range>* out);

// The ranges to switch around this fork: the ranges the last fork switched, when the
// address space is laid out as it was when that fork was done with them (/proc/self/maps
// the same, byte for byte: cheap to read, unlike smaps, which walks every page table), else
// a fresh smaps scan (FindDontForkRanges). *cached tells which; on a cached plan, *also
// holds every anonymous mapping, to switch to MADV_DOFORK as well (not back). 0 or -errno.
int DontForkRangesForFork(std::vector<Range>* out, std::vector<Range>* also, bool* cached);

// In the parent, once `ranges` are MADV_DONTFORK again: the layout now is the one they
// hold for (read before anything else can map or unmap: the V8 platform's workers and
// libuv's pool still parked). In the child, or after a failure: ForgetLayout().
void RememberLayout(const std::vector<Range>& ranges);
void ForgetLayout();

// Whether the ranges the next fork would take from the cache are exactly what a fresh
// smaps scan finds now (true when the cache would not be used): the proof the tests churn
// the heap for. Returns 1, 0, or -errno.
int CheckForkPlan();

// madvise(advice) on each range; *done counts the ranges advised before a failure.
// Returns 0 or -errno.
int AdviseAll(const std::vector<Range>& ranges, int advice, size_t* done);

}  // namespace unixproc

#endif  // UNIXPROC_DONT_FORK_H
