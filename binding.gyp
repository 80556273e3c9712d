{
  "targets": [
    {
      "target_name": "unixproc",
      "sources": [
        "native/addon.cc",
        "native/errno_result.cc",
        "native/identity.cc",
        "native/signals.cc",
        "native/wait.cc",
        "native/spawn.cc",
        "native/prctl.cc",
        "native/pidfd.cc",
        "native/child.cc",
        "native/exec.cc",
        "native/procfs.cc",
        "native/exit_watch.cc",
        "native/daemon.cc",
        "native/fd.cc",
        "native/sched.cc",
        "native/resource.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "libraries": ["-ldl"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-O2", "-include", "<(module_root_dir)/native/glibc_versions.h"],
      "cflags_cc": ["-Wall", "-Wextra", "-O2", "-std=c++17", "-include", "<(module_root_dir)/native/glibc_versions.h"]
    }
  ]
}
