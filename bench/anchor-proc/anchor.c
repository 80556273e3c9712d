// Benchmark anchor, NOT part of the library: the least a full /proc scan can cost from a
// Node process: readdir of the root, then openat + read + close of each <pid>/stat, with
// no parsing and no JavaScript objects. bench/proc-scan.js compares unixproc against it.
#include <dirent.h>
#include <fcntl.h>
#include <node_api.h>
#include <unistd.h>

static napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char root[4096];
  size_t len = 0;
  napi_get_value_string_utf8(env, argv[0], root, sizeof(root), &len);
  int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  double count = 0;
  if (rootfd >= 0) {
    DIR* d = fdopendir(dup(rootfd));
    struct dirent* e;
    char path[64];
    char buf[2048];
    while (d != NULL && (e = readdir(d)) != NULL) {
      if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
      size_t n = 0;
      while (e->d_name[n] != '\0' && n < 40) { path[n] = e->d_name[n]; n++; }
      path[n] = '\0';
      const char* suffix = "/stat";
      for (size_t i = 0; i <= 5; i++) path[n + i] = suffix[i];
      int fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      if (read(fd, buf, sizeof(buf)) > 0) count++;
      close(fd);
    }
    if (d != NULL) closedir(d);
    close(rootfd);
  }
  napi_value out;
  napi_create_double(env, count, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, Scan, NULL, &fn);
  napi_set_named_property(env, exports, "scan", fn);
  return exports;
}
