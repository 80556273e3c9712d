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
        "native/tree_stat.cc",
        "native/fd.cc",
        "native/sched.cc",
        "native/resource.cc",
        "native/credentials.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "libraries": ["-ldl"],
      # NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: an error thrown while a Worker's environment is
      # being torn down is dropped instead of node-addon-api's fatal napi_throw abort (seen 5 in
      # 80 runs of spawn-worker's terminated-worker case under load; 0 in 60 with it).
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-O2", "-include", "<(module_root_dir)/native/glibc_versions.h"],
      "cflags_cc": ["-Wall", "-Wextra", "-O2", "-std=c++17", "-include", "<(module_root_dir)/native/glibc_versions.h"]
    },
    # The shepherd (docs/containment.md) is linked statically: it needs no shared library and
    # no glibc symbol version at all, so one prebuilt executable runs on every glibc (an
    # executable linked against glibc >= 2.34 needs __libc_start_main@GLIBC_2.34, which
    # .symver cannot pin). It calls nothing that loads NSS modules. No glibc_versions.h:
    # there are no versions to pin. scripts/check-glibc-symbols.js checks it too.
    {
      "target_name": "unixproc-shepherd",
      "type": "executable",
      "sources": ["native/shepherd.cc"],
      "defines": ["_GNU_SOURCE"],
      # UNIXPROC_SHEPHERD_DYNAMIC=1 (npm run test:asan): linked dynamically, as the
      # sanitizers cannot link statically; it is not instrumented (ASan's runtime is a
      # shared library) and never shipped so.
      "ldflags": ["<!@(test \"$UNIXPROC_SHEPHERD_DYNAMIC\" = 1 || echo -static)"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "cflags_cc": ["-Wall", "-Wextra", "-O2", "-std=c++17"]
    }
  ]
}
