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

// madvise(advice) on each range; *done counts the ranges advised before a failure.
// Returns 0 or -errno.
int AdviseAll(const std::vector<Range>& ranges, int advice, size_t* done);

}  // namespace unixproc

#endif  // UNIXPROC_DONT_FORK_H
