/* heap.h -- the shared heap inside the library: creation before the first fork, and the
 * allocation calls every layer above uses for process-shared objects. */
#ifndef MP_HEAP_H
#define MP_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Creates the heap if this process has none yet.  Called before every fork the library makes,
 * so that every child shares it.  Returns 0 or -ENOMEM. */
int mp__heap_ensure(void);

/* What an exec'd child needs to map the heap: the memfd (close-on-exec in the parent; the
 * launcher passes it on), and the address and size of the mapping. */
typedef struct mp__heap_ref {
  int fd;
  uint64_t addr, size;
} mp__heap_ref;

/* Creates the heap if needed and describes it.  Returns 0 or -ENOMEM. */
int mp__heap_export(mp__heap_ref *out);

/* In an exec'd child, before anything else used the heap: maps the parent's heap at its
 * address.  Errors: -EEXIST (the address range is taken in this image), MP_ECORRUPT (not a
 * heap), MP_ESTATE (this process already has a heap), -errno of mmap. */
int mp__heap_attach(const mp__heap_ref *ref);

/* Zeroed shared memory for a library object; see mp_shared_alloc().  NULL when exhausted. */
static inline void *mp__shared_alloc(size_t size) { return mp_shared_alloc(size); }
static inline void mp__shared_free(void *ptr, size_t size) { mp_shared_free(ptr, size); }

/* Whether [p, p + len) lies inside the shared heap's mapping, i.e. is visible at the same
 * address in every process forked after the heap was made. */
bool mp__heap_contains(const void *p, size_t len);

/* Test hook: takes the heap lock and never gives it back, to let a test kill a process while
 * it holds the allocator. */
void mp__heap_test_hold_lock(void);

#endif
