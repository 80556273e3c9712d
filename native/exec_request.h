// The arguments spawnChild (child.cc) and daemonize (daemon.cc) share: the execve
// candidates, argv, the base environment, the cwd, an Int32Array of settings, and extra
// environment entries that replace same-key entries of the base. Read and checked in one
// place, and turned into the NULL-terminated arrays execve(2) takes before any fork.
#ifndef UNIXPROC_EXEC_REQUEST_H
#define UNIXPROC_EXEC_REQUEST_H

#include <cstring>
#include <string>
#include <vector>

#include "addon.h"

namespace unixproc {

struct ExecRequest {
  std::vector<std::string> candidate_strings, argv_strings, envp_strings, extra_env;
  std::string cwd;
  // Pointers into the strings above: fill the request in place, never copy or move it.
  std::vector<char*> candidates, argv, envp;
  Napi::Int32Array config;

  ExecRequest() = default;
  ExecRequest(const ExecRequest&) = delete;
  ExecRequest& operator=(const ExecRequest&) = delete;
};

// info: (candidates, argv, envp, cwd, config: Int32Array of at least config_len, [extraEnv]).
// False for any argument of the wrong shape (the caller returns -EINVAL).
inline bool ReadExecRequest(const Napi::CallbackInfo& info, size_t config_len, ExecRequest* r) {
  if (!ArgStringArray(info, 0, &r->candidate_strings) || !ArgStringArray(info, 1, &r->argv_strings) ||
      !ArgStringArray(info, 2, &r->envp_strings) || !ToBytes(info[3], &r->cwd) || !info[4].IsTypedArray() ||
      info[4].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    return false;
  }
  r->config = info[4].As<Napi::Int32Array>();
  if (r->config.ElementLength() < config_len) return false;
  if (info.Length() > 5 && info[5].IsArray() && !ArgStringArray(info, 5, &r->extra_env)) return false;

  r->candidates = CStringVector(r->candidate_strings);
  r->argv = CStringVector(r->argv_strings);
  // An entry of the base environment survives unless an extra entry has its key.
  for (std::string& e : r->envp_strings) {
    size_t key_len = e.find('=');
    if (key_len == std::string::npos) key_len = e.size();
    bool replaced = false;
    for (const std::string& x : r->extra_env) {
      if (x.size() > key_len && x[key_len] == '=' && x.compare(0, key_len, e, 0, key_len) == 0) replaced = true;
    }
    if (!replaced) r->envp.push_back(const_cast<char*>(e.c_str()));
  }
  for (std::string& x : r->extra_env) r->envp.push_back(const_cast<char*>(x.c_str()));
  r->envp.push_back(nullptr);
  return true;
}

}  // namespace unixproc

#endif  // UNIXPROC_EXEC_REQUEST_H
