// Argument conversions shared by every concern (see addon.h).
#include "addon.h"

namespace unixproc {

std::vector<std::string> ArgStringArray(const Napi::CallbackInfo& info, size_t i) {
  Napi::Array array = info[i].As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(array.Length());
  for (uint32_t k = 0; k < array.Length(); k++) {
    out.push_back(array.Get(k).As<Napi::String>().Utf8Value());
  }
  return out;
}

std::vector<char*> CStringVector(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace unixproc
