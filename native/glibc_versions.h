// Symbol versions pinned so that one prebuilt binary loads on every glibc Node 20 runs on
// (>= 2.28: RHEL 8, Debian 10, Ubuntu 20.04), whatever glibc it was built against (issue 9).
// Both binding.gyp files force-include this header (-include) into every source file.
//
// A call glibc renamed gets a new symbol version, and a binary linked against the new
// glibc names the new version, which an older glibc does not have (the load fails with
// "version `GLIBC_2.xx' not found"). .symver binds the reference to the old name and
// version instead, which every glibc since keeps (the GNU ld manual, "VERSION";
// glibc's abilist files). What cannot be pinned this way is avoided in the source:
// - fstat/fstatat (real functions only since 2.33): raw syscalls (native/procfs.cc);
// - pthread_sigmask (moved into libc at 2.32): sigprocmask, the same call on Linux;
// - posix_spawn_file_actions_addclosefrom_np (2.34): looked up with dlsym(3) at run time
//   (native/spawn.cc);
// - forkpty/openpty (moved from libutil into libc at 2.34): posix_openpt(3) and fork
//   (fork-addon/src/fork.cc);
// - std::condition_variable and std::shared_ptr (GLIBCXX_3.4.30 and, through
//   libstdc++'s headers, __libc_single_threaded at 2.32): libuv's uv_cond_t and a
//   counted reference (fork-addon/src/park.h).
// scripts/check-glibc-symbols.js asserts the result on every glibc prebuild.
#ifndef UNIXPROC_GLIBC_VERSIONS_H
#define UNIXPROC_GLIBC_VERSIONS_H

#include <features.h>  // defines __GLIBC__ (glibc and musl both have it)

#if defined(__GLIBC__)
// fcntl64 (2.28) is fcntl under _FILE_OFFSET_BITS=64, which node-gyp sets; on 64-bit
// targets both are one function (glibc io/fcntl64.c), so the old name is the same call.
// dlsym, dlopen and dladdr moved from libdl into libc at 2.34 (dlsym@GLIBC_2.34); the old version is the same
// function, in libdl.so.2 before 2.34 (linked with -ldl, and loaded by Node itself).
#if defined(__x86_64__)
__asm__(".symver fcntl64,fcntl@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dladdr,dladdr@GLIBC_2.2.5");
#elif defined(__aarch64__)
__asm__(".symver fcntl64,fcntl@GLIBC_2.17");
__asm__(".symver dlsym,dlsym@GLIBC_2.17");
__asm__(".symver dlopen,dlopen@GLIBC_2.17");
__asm__(".symver dladdr,dladdr@GLIBC_2.17");
#endif
#endif  // __GLIBC__

#endif  // UNIXPROC_GLIBC_VERSIONS_H
