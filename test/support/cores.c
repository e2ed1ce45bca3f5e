/*
 * LD_PRELOAD shim: native code in this process sees FAKE_CORES CPUs (default
 * 16), as test/support/cpus16.cjs does for node's os.cpus(). Rust's
 * available_parallelism and num_cpus, Go's runtime (through glibc), libuv and
 * glibc's get_nprocs all ask one of these functions, so a tool's native pools
 * are sized as they would be on a 16-core machine, and a test can show them
 * going above the tokens without jobslot. Built by test/support/cores.ts.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sysinfo.h>

static int cores(void) {
  const char *v = getenv("FAKE_CORES");
  int n = v ? atoi(v) : 16;
  return n > 0 && n <= CPU_SETSIZE ? n : 16;
}

int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *mask) {
  (void)pid;
  memset(mask, 0, size);
  for (int i = 0; i < cores() && (size_t)i < size * 8; i++) CPU_SET_S(i, size, mask);
  return 0;
}

int get_nprocs(void) { return cores(); }
int get_nprocs_conf(void) { return cores(); }

long sysconf(int name) {
  extern long __sysconf(int);
  if (name == _SC_NPROCESSORS_ONLN || name == _SC_NPROCESSORS_CONF) return cores();
  return __sysconf(name);
}
