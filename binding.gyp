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
        "native/credentials.cc",
        "native/notify.cc",
        "native/record_map.cc",
        "native/spawn_queue.cc"
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
    # The shepherd (docs/containment.md) has no C library at all (native/nolibc.h): its own
    # _start and raw system calls, linked statically with -nostdlib. So it needs no shared
    # library and no glibc symbol version (one prebuilt executable runs on every libc), and it
    # starts in the time of an execve: a static glibc's start-up (cpuid in init_cpu_features)
    # cost more than the rest of a contained spawn. scripts/check-glibc-symbols.js checks it.
    # No sanitizer either (npm run test:asan builds it as it is): there is no runtime to link.
    {
      "target_name": "unixproc-shepherd",
      "type": "executable",
      "sources": ["native/shepherd.cc"],
      "defines": ["_GNU_SOURCE"],
      "cflags!": ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"],
      "cflags_cc!": ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"],
      "ldflags!": ["-rdynamic", "-pthread", "-fsanitize=address,undefined"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "cflags_cc": ["-Wall", "-Wextra", "-O2", "-std=c++17", "-ffreestanding", "-fno-stack-protector",
                    "-fno-exceptions", "-fno-rtti", "-fno-asynchronous-unwind-tables",
                    "-fno-tree-loop-distribute-patterns", "-fno-pie"],
      "ldflags": ["-nostdlib", "-static", "-no-pie"],
      "libraries": ["-lgcc"]
    }
  ]
}
