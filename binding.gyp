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
        "native/contain.cc",
        "native/tree_stat.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "cflags_cc": ["-Wall", "-Wextra", "-O2", "-std=c++17"]
    },
    {
      "target_name": "unixproc-shepherd",
      "type": "executable",
      "sources": ["native/shepherd.cc"],
      "defines": ["_GNU_SOURCE"],
      "ldflags": ["-static-libstdc++", "-static-libgcc"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "cflags_cc": ["-Wall", "-Wextra", "-O2", "-std=c++17"]
    }
  ]
}
