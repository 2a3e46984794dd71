/* shared_pages.c -- memory shared with children forked later: anonymous MAP_SHARED pages.
 * This is the interim backing of the _new constructors until the shared heap (one mapping
 * reserved at start-up, packed small objects) replaces it; callers only see
 * mp__shared_alloc/mp__shared_free, so the swap will not touch them. */
#include <sys/mman.h>

#include "heap/heap.h"

void *mp__shared_alloc(size_t size) {
  if (size == 0) return NULL;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p; /* zero-filled by the kernel */
}

void mp__shared_free(void *ptr, size_t size) {
  if (ptr) munmap(ptr, size);
}
