// The leak guard's provenance records (lib/guard/provenance.ts) as a shared file mapping:
// a record is then a copy into memory (Buffer.write), not a write(2) per spawn, and it
// survives the process being killed (the page cache holds it, as it would a write's).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "addon.h"

namespace unixproc {

namespace {

struct Mapping {
  pid_t owner;
  size_t length;
};

// A child of fork() inherits the mapping (or not, under MADV_DONTFORK, and then its range
// may hold something else): only the process that made it unmaps it.
void Unmap(Napi::Env, void* data, Mapping* m) {
  if (getpid() == m->owner) munmap(data, m->length);
  delete m;
}

}  // namespace

// recordMap(fd, offset, length) -> ArrayBuffer | -errno. Reserves the file's blocks for
// [offset, offset + length) first (fallocate: a store into a shared mapping of a file whose
// blocks cannot be allocated, a full disk, would be a SIGBUS; a filesystem that cannot
// reserve them gives EOPNOTSUPP, and the caller writes instead), then maps them shared.
static Napi::Value RecordMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  int64_t offset = 0, length = 0;
  if (!ToInt(info[0], &fd) || !ToInt64(info[1], &offset) || !ToInt64(info[2], &length)) return NegErrno(env, EINVAL);
  long page = sysconf(_SC_PAGESIZE);
  if (fd < 0 || offset < 0 || length <= 0 || length >= (int64_t{1} << 30) || page <= 0 || offset % page != 0) {
    return NegErrno(env, EINVAL);
  }
  int r = RetryEintr([&] { return fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(length)); });
  if (r < 0) return NegErrno(env, errno);
  void* p = mmap(nullptr, static_cast<size_t>(length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(offset));
  if (p == MAP_FAILED) return NegErrno(env, errno);
  Mapping* m = new Mapping{getpid(), static_cast<size_t>(length)};
  napi_value buffer;
  napi_status s = napi_create_external_arraybuffer(
      env, p, static_cast<size_t>(length),
      [](napi_env e, void* data, void* hint) { Unmap(Napi::Env(e), data, static_cast<Mapping*>(hint)); }, m, &buffer);
  if (s != napi_ok) {
    // A runtime that allows no external buffers (a V8 sandbox): the caller writes instead.
    munmap(p, static_cast<size_t>(length));
    delete m;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    return NegErrno(env, ENOTSUP);
  }
  return Napi::Value(env, buffer);
}

void InitRecordMap(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "recordMap", RecordMap);
}

}  // namespace unixproc
