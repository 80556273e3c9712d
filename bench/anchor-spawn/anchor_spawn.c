// Benchmark anchor, NOT part of the library: the limit for "posix_spawn + waitpid of a
// program" inside a Node process, measured as a C loop. Two loops:
//   plain(n, path):    posix_spawn(path) with no attributes + waitpid(pid), n times;
//   hygienic(n, path): the same with what unixproc/os posix_spawn always does (every signal
//                      to default, empty mask, dup2(fd, fd) for 0..2, closefrom(3)).
// Each returns the elapsed nanoseconds (CLOCK_MONOTONIC), or -errno.
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char** environ;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int spawn_wait(const char* path, int hygienic) {
  char* argv[] = {(char*)"true", NULL};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t* fap = NULL;
  posix_spawnattr_t* attrp = NULL;
  if (hygienic) {
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    for (int fd = 0; fd <= 2; fd++) {
      int flags = fcntl(fd, F_GETFD);
      if (flags >= 0 && (flags & FD_CLOEXEC)) posix_spawn_file_actions_adddup2(&fa, fd, fd);
    }
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    sigset_t all, none;
    memset(&all, 0xff, sizeof all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    fap = &fa;
    attrp = &attr;
  }
  pid_t pid;
  int rc = posix_spawn(&pid, path, fap, attrp, argv, environ);
  if (hygienic) {
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
  if (rc != 0) return rc;
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

static napi_value Loop(napi_env env, napi_callback_info info, int hygienic) {
  size_t argc = 2;
  napi_value args[2];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  int32_t n = 0;
  char path[4096];
  size_t len = 0;
  napi_get_value_int32(env, args[0], &n);
  napi_get_value_string_utf8(env, args[1], path, sizeof path, &len);
  double start = now_ns();
  double result = 0;
  for (int i = 0; i < n; i++) {
    int rc = spawn_wait(path, hygienic);
    if (rc != 0) {
      result = -rc;
      break;
    }
  }
  if (result == 0) result = now_ns() - start;
  napi_value out;
  napi_create_double(env, result, &out);
  return out;
}

static napi_value Plain(napi_env env, napi_callback_info info) { return Loop(env, info, 0); }
static napi_value Hygienic(napi_env env, napi_callback_info info) { return Loop(env, info, 1); }

NAPI_MODULE_INIT() {
  napi_value f;
  napi_create_function(env, "plain", NAPI_AUTO_LENGTH, Plain, NULL, &f);
  napi_set_named_property(env, exports, "plain", f);
  napi_create_function(env, "hygienic", NAPI_AUTO_LENGTH, Hygienic, NULL, &f);
  napi_set_named_property(env, exports, "hygienic", f);
  return exports;
}
