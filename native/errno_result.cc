// Argument conversions shared by every concern (see addon.h).
#include <climits>
#include <cmath>
#include <cstring>

#include "addon.h"

namespace unixproc {

// Drops an exception a getter or a failed napi call left behind: native functions report
// bad values as -EINVAL, never by throwing (addon.h).
static bool ClearPending(Napi::Env env) {
  if (!env.IsExceptionPending()) return false;
  env.GetAndClearPendingException();
  return true;
}

static bool ToIntegral(Napi::Value value, double min, double max, double* out) {
  if (value.IsEmpty() || !value.IsNumber()) return false;
  double d = value.As<Napi::Number>().DoubleValue();
  if (ClearPending(value.Env())) return false;
  if (!(d >= min && d <= max) || std::trunc(d) != d) return false;  // NaN fails both
  *out = d;
  return true;
}

bool ToInt(Napi::Value value, int* out) {
  double d = 0;
  if (!ToIntegral(value, INT_MIN, INT_MAX, &d)) return false;
  *out = static_cast<int>(d);
  return true;
}

bool ToInt64(Napi::Value value, int64_t* out) {
  double d = 0;
  // +-2^53: the integers a double holds exactly.
  if (!ToIntegral(value, -9007199254740992.0, 9007199254740992.0, &d)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool ToBool(Napi::Value value, bool* out) {
  if (value.IsEmpty() || !value.IsBoolean()) return false;
  bool b = value.As<Napi::Boolean>().Value();
  if (ClearPending(value.Env())) return false;
  *out = b;
  return true;
}

bool ToBytes(Napi::Value value, std::string* out) {
  if (value.IsEmpty()) return false;
  std::string s;
  if (value.IsString()) {
    s = value.As<Napi::String>().Utf8Value();
  } else if (value.IsBuffer()) {
    Napi::Buffer<char> buffer = value.As<Napi::Buffer<char>>();
    if (buffer.Length() > 0) s.assign(buffer.Data(), buffer.Length());
  } else {
    return false;
  }
  if (ClearPending(value.Env())) return false;
  // A NUL would silently truncate the C string the kernel sees.
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) return false;
  *out = std::move(s);
  return true;
}

bool ElementOf(Napi::Array array, uint32_t i, Napi::Value* out) {
  Napi::Value v = array.Get(i);
  if (ClearPending(array.Env()) || v.IsEmpty()) return false;
  *out = v;
  return true;
}

bool PropertyOf(Napi::Object object, const char* key, Napi::Value* out) {
  Napi::Value v = object.Get(key);
  if (ClearPending(object.Env()) || v.IsEmpty()) return false;
  *out = v;
  return true;
}

bool ToStringArray(Napi::Value value, std::vector<std::string>* out) {
  if (value.IsEmpty() || !value.IsArray()) return false;
  Napi::Array array = value.As<Napi::Array>();
  const uint32_t length = array.Length();
  if (ClearPending(value.Env())) return false;
  std::vector<std::string> strings;
  strings.reserve(length);
  for (uint32_t k = 0; k < length; k++) {
    Napi::Value element;
    std::string s;
    if (!ElementOf(array, k, &element) || !ToBytes(element, &s)) return false;
    strings.push_back(std::move(s));
  }
  *out = std::move(strings);
  return true;
}

bool ArgStringArray(const Napi::CallbackInfo& info, size_t i, std::vector<std::string>* out) {
  return ToStringArray(info[i], out);
}

std::vector<char*> CStringVector(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace unixproc
