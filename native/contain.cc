// What lib/contain needs from the kernel that Node does not offer: a connected socket pair
// for the shepherd's control channel (the shepherd gets one end as fd 3).
// See socketpair(2), unix(7).
#include <sys/socket.h>

#include <cerrno>

#include "addon.h"

namespace unixproc {

// socketPair() -> [fd, fd] (AF_UNIX, SOCK_STREAM, both close-on-exec) or -errno.
static Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) return NegErrno(env, errno);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, fds[0]));
  out.Set(1u, Napi::Number::New(env, fds[1]));
  return out;
}

void InitContain(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "socketPair", SocketPair);
}

}  // namespace unixproc
