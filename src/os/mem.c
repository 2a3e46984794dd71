/* SPDX-License-Identifier: MIT */
/* mem.c -- shared memory as the kernel gives it: memfds and shared mappings of an fd, at a
 * chosen address when asked (the heap is mapped at the same address in every image). */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/os.h"

int mp__memfd_new(const char *name) {
  /* A raw call: glibc's memfd_create wrapper is newer than some of the libcs we build on. */
  long fd = syscall(SYS_memfd_create, name, MFD_CLOEXEC);
  return fd < 0 ? -errno : (int)fd;
}

int mp__map_shared(int fd, size_t size, void *at, unsigned flags, void **out) {
  int mflags = MAP_SHARED;
  if (flags & MP__MAP_NORESERVE) mflags |= MAP_NORESERVE;
  if (flags & MP__MAP_EXACT) mflags |= MAP_FIXED_NOREPLACE;
  void *p = mmap(at, size, PROT_READ | PROT_WRITE, mflags, fd, 0);
  if (p == MAP_FAILED) return -errno;
  if ((flags & MP__MAP_EXACT) && p != at) {
    munmap(p, size); /* an old kernel took the address as a hint only */
    return -EEXIST;
  }
  *out = p;
  return 0;
}

void mp__unmap(void *p, size_t size) {
  if (p != NULL) (void)munmap(p, size);
}
