// The sd_notify datagram socket (issue 11): what Node cannot do, a unix datagram socket with
// the sender's credentials. lib/supervise/notify-server.ts serves one per service, and
// lib/supervise/notify.ts is the client.
//
//   notifyBind(address, abstract) -> fd, or -errno
//     socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK), SO_PASSCRED (every datagram
//     then carries SCM_CREDENTIALS: the sender's pid, uid, gid, as the kernel knows them,
//     unix(7)), bind(2) to `address` (a Buffer: a path, or with `abstract` a name in the
//     abstract namespace, its leading NUL added here). The socket is closed on any failure.
//   notifyReceive(fd, buffer) -> Int32Array [length, pid, uid, gid, flags, fd...], or -errno
//     One recvmsg(2) with MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC: -EAGAIN when nothing is
//     queued. `length` is the datagram's whole length (MSG_TRUNC: it may exceed the buffer,
//     whose bytes are then only its beginning); pid is -1 when no credentials came; flags
//     bit 0 MSG_TRUNC, bit 1 MSG_CTRUNC; then the SCM_RIGHTS descriptors that came with it
//     (close-on-exec). The caller closes them, after it has looked at the sender: a barrier
//     (sd_notify_barrier(3), which systemd-notify sends after its message) is one such fd,
//     whose close lets the sender exit; closing it here, before the sender is checked, would
//     let it exit and be reaped first. The control buffer has room for the credentials and
//     SCM_MAX_FD (253) descriptors; the kernel drops what does not fit (MSG_CTRUNC).
//   notifySend(address, abstract, message) -> bytes sent, or -errno
//     The client side (sd_notify(3)): a datagram socket of its own, sendto(2) once, closed.
//
// See unix(7) (SO_PASSCRED, SCM_CREDENTIALS, SCM_RIGHTS, abstract names), recvmsg(2),
// sd_notify(3).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "addon.h"

namespace unixproc {

// sockaddr_un for `address`; false when it does not fit sun_path.
static bool MakeAddress(const std::string& address, bool abstract, sockaddr_un* sa, socklen_t* len) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  const size_t room = sizeof sa->sun_path - 1;  // abstract: the leading NUL; a path: its terminator
  if (address.empty() || address.size() > room) return false;
  char* dest = sa->sun_path + (abstract ? 1 : 0);
  memcpy(dest, address.data(), address.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + (abstract ? 1 : 0) + address.size() +
                                (abstract ? 0 : 1));
  return true;
}

// An address argument: a Buffer (its bytes; abstract names may hold any byte but NUL here).
static bool ToAddress(Napi::Value value, std::string* out) {
  return ToBytes(value, out);
}

static Napi::Value NotifyBind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string address;
  bool abstract = false;
  if (!ToAddress(info[0], &address) || !ToBool(info[1], &abstract)) return NegErrno(env, EINVAL);
  sockaddr_un sa;
  socklen_t len = 0;
  if (!MakeAddress(address, abstract, &sa, &len)) return NegErrno(env, ENAMETOOLONG);
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return NegErrno(env, errno);
  const int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&sa), len) < 0) {
    const int err = errno;
    close(fd);
    return NegErrno(env, err);
  }
  return Napi::Number::New(env, fd);
}

constexpr size_t kMaxPassedFds = 253;  // SCM_MAX_FD

static Napi::Value NotifyReceive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ToInt(info[0], &fd) || fd < 0 || !info[1].IsBuffer()) return NegErrno(env, EINVAL);
  Napi::Buffer<char> buffer = info[1].As<Napi::Buffer<char>>();
  iovec iov{buffer.Data(), buffer.Length()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = RetryEintr([&] { return recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC); });
  if (n < 0) return NegErrno(env, errno);
  int32_t pid = -1, uid = -1, gid = -1;
  std::vector<int32_t> passed;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      ucred cred;
      memcpy(&cred, CMSG_DATA(c), sizeof cred);
      pid = cred.pid;
      uid = static_cast<int32_t>(cred.uid);
      gid = static_cast<int32_t>(cred.gid);
    } else if (c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(0)) {
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int passed_fd;
        memcpy(&passed_fd, CMSG_DATA(c) + i * sizeof(int), sizeof passed_fd);
        passed.push_back(passed_fd);
      }
    }
  }
  const int32_t flags = ((msg.msg_flags & MSG_TRUNC) ? 1 : 0) | ((msg.msg_flags & MSG_CTRUNC) ? 2 : 0);
  Napi::Int32Array out = Napi::Int32Array::New(env, 5 + passed.size());
  out[0] = n > INT32_MAX ? INT32_MAX : static_cast<int32_t>(n);
  out[1] = pid;
  out[2] = uid;
  out[3] = gid;
  out[4] = flags;
  for (size_t i = 0; i < passed.size(); i++) out[5 + i] = passed[i];
  return out;
}

static Napi::Value NotifySend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string address;
  bool abstract = false;
  if (!ToAddress(info[0], &address) || !ToBool(info[1], &abstract) || !info[2].IsBuffer()) {
    return NegErrno(env, EINVAL);
  }
  Napi::Buffer<char> message = info[2].As<Napi::Buffer<char>>();
  sockaddr_un sa;
  socklen_t len = 0;
  if (!MakeAddress(address, abstract, &sa, &len)) return NegErrno(env, ENAMETOOLONG);
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return NegErrno(env, errno);
  const ssize_t n = RetryEintr([&] {
    return sendto(fd, message.Data(), message.Length(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), len);
  });
  const int err = errno;
  close(fd);
  if (n < 0) return NegErrno(env, err);
  return Napi::Number::New(env, static_cast<double>(n));
}

void InitNotify(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "notifyBind", NotifyBind);
  Export(env, exports, "notifyReceive", NotifyReceive);
  Export(env, exports, "notifySend", NotifySend);
}

}  // namespace unixproc
