// The user and group databases, read for spawn's `user`, `group` and `extraGroups` options
// (lib/spawn/credentials.ts) in the parent, before any clone: NSS may load modules, open
// sockets (nscd, sssd, systemd-userdbd) and allocate, none of which is async-signal-safe,
// so the child gets plain numbers and only calls setgroups/setgid/setuid (native/child.cc).
//
// getpwnam(name) / getpwuid(uid) -> [uid, gid, name] | null (no such entry) | -errno
// getgrnam(name)                 -> gid | null | -errno
// getgrouplist(name, gid)        -> gid[] (the groups `name` is a member of, and `gid`) | -errno
// getgroups()                    -> this process's supplementary groups (getgroups(2)) | -errno
// ngroupsMax()                   -> sysconf(_SC_NGROUPS_MAX)
//
// Man pages: getpwnam_r(3), getgrnam_r(3), getgrouplist(3), initgroups(3), getgroups(2), sysconf(3).
#include <grp.h>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "addon.h"

namespace unixproc {

// The *_r calls report "no such entry" as 0 with a null result; getpwnam_r(3) lists the
// errnos that some NSS back ends return for it as well (ENOENT, ESRCH, EBADF, EPERM).
static bool MeansNotFound(int err) {
  return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

// Runs lookup(buffer, size) -> errno with a buffer grown while it answers ERANGE.
template <typename F>
static int WithBuffer(int size_name, F lookup) {
  long hint = sysconf(size_name);
  size_t size = hint > 0 ? static_cast<size_t>(hint) : 1024;
  for (;;) {
    std::vector<char> buffer(size);
    int err;
    do {
      err = lookup(buffer.data(), buffer.size());
    } while (err == EINTR);
    if (err != ERANGE) return err;
    if (size >= (1U << 24)) return ERANGE;  // a 16 MiB entry: something is wrong
    size *= 4;
  }
}

static Napi::Value PasswdResult(Napi::Env env, int err, const struct passwd* found) {
  if (found == nullptr) return MeansNotFound(err) ? env.Null() : NegErrno(env, err);
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(found->pw_uid)));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(found->pw_gid)));
  out.Set(2u, Napi::String::New(env, found->pw_name));
  return out;
}

static Napi::Value GetPwnam(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (info.Length() < 1 || !info[0].IsString() || !ToBytes(info[0], &name)) return NegErrno(env, EINVAL);
  struct passwd entry {};
  struct passwd* found = nullptr;
  Napi::Value out = env.Null();
  WithBuffer(_SC_GETPW_R_SIZE_MAX, [&](char* buf, size_t size) {
    int err = getpwnam_r(name.c_str(), &entry, buf, size, &found);
    if (err != ERANGE) out = PasswdResult(env, err, found);  // read while buf lives
    return err;
  });
  return out;
}

static Napi::Value GetPwuid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t uid = 0;
  if (info.Length() < 1 || !ToInt64(info[0], &uid) || uid < 0 || uid >= 0xffffffffLL) return NegErrno(env, EINVAL);
  struct passwd entry {};
  struct passwd* found = nullptr;
  Napi::Value out = env.Null();
  WithBuffer(_SC_GETPW_R_SIZE_MAX, [&](char* buf, size_t size) {
    int err = getpwuid_r(static_cast<uid_t>(uid), &entry, buf, size, &found);
    if (err != ERANGE) out = PasswdResult(env, err, found);
    return err;
  });
  return out;
}

static Napi::Value GetGrnam(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (info.Length() < 1 || !info[0].IsString() || !ToBytes(info[0], &name)) return NegErrno(env, EINVAL);
  struct group entry {};
  struct group* found = nullptr;
  Napi::Value out = env.Null();
  WithBuffer(_SC_GETGR_R_SIZE_MAX, [&](char* buf, size_t size) {
    int err = getgrnam_r(name.c_str(), &entry, buf, size, &found);
    if (err != ERANGE) {
      if (found != nullptr) out = Napi::Number::New(env, static_cast<double>(found->gr_gid));
      else out = MeansNotFound(err) ? env.Null() : NegErrno(env, err);
    }
    return err;
  });
  return out;
}

static Napi::Value GetGrouplist(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  int64_t gid = 0;
  if (info.Length() < 2 || !info[0].IsString() || !ToBytes(info[0], &name) || !ToInt64(info[1], &gid) ||
      gid < 0 || gid >= 0xffffffffLL) {
    return NegErrno(env, EINVAL);
  }
  // getgrouplist(3): -1 with *ngroups set to the number needed when the array is too small.
  int n = 32;
  std::vector<gid_t> groups;
  for (int attempt = 0; attempt < 8; attempt++) {
    groups.resize(static_cast<size_t>(n));
    int got = n;
    errno = 0;
    if (getgrouplist(name.c_str(), static_cast<gid_t>(gid), groups.data(), &got) >= 0) {
      Napi::Array out = Napi::Array::New(env, static_cast<size_t>(got));
      for (int i = 0; i < got; i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, groups[i]));
      return out;
    }
    if (got <= n) return NegErrno(env, errno != 0 ? errno : ENOMEM);  // failed for another reason
    n = got;
  }
  return NegErrno(env, ENOMEM);  // the membership kept growing between calls
}

// Unlike process.getgroups(), which adds the effective gid, only the list setgroups(2) sets.
static Napi::Value GetGroups(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  for (int attempt = 0; attempt < 8; attempt++) {
    int n = getgroups(0, nullptr);
    if (n < 0) return NegErrno(env, errno);
    std::vector<gid_t> groups(static_cast<size_t>(n) + 1);
    int got = getgroups(static_cast<int>(groups.size()), groups.data());
    if (got < 0 && errno == EINVAL) continue;  // grew in between (another thread's setgroups)
    if (got < 0) return NegErrno(env, errno);
    Napi::Array out = Napi::Array::New(env, static_cast<size_t>(got));
    for (int i = 0; i < got; i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, groups[i]));
    return out;
  }
  return NegErrno(env, EAGAIN);
}

static Napi::Value NgroupsMax(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(sysconf(_SC_NGROUPS_MAX)));
}

void InitCredentials(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "getpwnam", GetPwnam);
  Export(env, exports, "getpwuid", GetPwuid);
  Export(env, exports, "getgrnam", GetGrnam);
  Export(env, exports, "getgrouplist", GetGrouplist);
  Export(env, exports, "getgroups", GetGroups);
  Export(env, exports, "ngroupsMax", NgroupsMax);
}

}  // namespace unixproc
