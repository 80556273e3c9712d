# The fork addon: fork()/forkpty() that continue in JavaScript need Node's C++ API
# (node.h: the V8 platform, the process exit handler) and libuv's loop internals, which
# N-API does not offer. It is built for one Node ABI (NODE_MODULE_VERSION), apart from
# the N-API main addon (../binding.gyp) so that a prebuilt main addon stays portable.
{
  "targets": [
    {
      "target_name": "unixproc_fork",
      "sources": [
        "src/addon.cc",
        "src/dont_fork.cc",
        "src/park.cc",
        "src/fork.cc",
        "src/child_loop.cc",
        "src/inherited.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "../native"],
      # NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: an error thrown while a Worker's environment is
      # being torn down is dropped instead of node-addon-api's fatal napi_throw abort (seen 5 in
      # 80 runs of spawn-worker's terminated-worker case under load; 0 in 60 with it).
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-O2", "-include", "<(module_root_dir)/../native/glibc_versions.h"],
      "cflags_cc": ["-Wall", "-Wextra", "-O2", "-std=c++17", "-include", "<(module_root_dir)/../native/glibc_versions.h"]
    }
  ]
}
