// The kernel's floor for a subreaper-contained spawn (bench/contain.js): the same work as
// spawn({ contain: 'subreaper' }) + wait(), without Node. In alternating blocks:
//   plain:     posix_spawn(/bin/true) + waitpid
//   shepherd:  socketpair + posix_spawn(unixproc-shepherd tree ... /bin/true) with the socket
//              as fd 3 + read its "R <pid>" line + waitpid (the shepherd exits as the program did)
// Usage: contain_floor <shepherd> <blocks> <spawns per block>
// Prints one line per block: "plain <us per spawn> shepherd <us per spawn>".
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int plain(void) {
  char* argv[] = {"/bin/true", NULL};
  pid_t pid;
  if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0) return -1;
  int status;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int shepherd(const char* file, const char* owner) {
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sp[1], 3);
  char* argv[] = {"unixproc-shepherd", "tree", (char*)owner, "15", "5000", "1", "/bin/true", "--", "/bin/true", NULL};
  pid_t pid;
  int r = posix_spawn(&pid, file, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(sp[1]);
  if (r != 0) {
    close(sp[0]);
    return -1;
  }
  char line[64];
  ssize_t n = read(sp[0], line, sizeof line);  // "R <pid>\n", one write
  int status;
  pid_t w = waitpid(pid, &status, 0);
  close(sp[0]);
  return n > 2 && line[0] == 'R' && w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const int blocks = atoi(argv[2]), spawns = atoi(argv[3]);
  char owner[16];
  snprintf(owner, sizeof owner, "%d", (int)getpid());
  for (int i = 0; i < 20; i++) {
    if (plain() < 0 || shepherd(argv[1], owner) < 0) return 1;  // warm-up; and both work
  }
  for (int b = 0; b < blocks; b++) {
    double t0 = now_us();
    for (int i = 0; i < spawns; i++) if (plain() < 0) return 1;
    double t1 = now_us();
    for (int i = 0; i < spawns; i++) if (shepherd(argv[1], owner) < 0) return 1;
    double t2 = now_us();
    printf("plain %.1f shepherd %.1f\n", (t1 - t0) / spawns, (t2 - t1) / spawns);
  }
  return 0;
}
