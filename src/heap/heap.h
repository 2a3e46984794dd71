/* SPDX-License-Identifier: MIT */
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

/* Test hook: this process's next page-run operation (a large alloc or free, a size class's
 * refill) writes one byte to notify_fd and stops for good, to be killed there: with its redo
 * log written but not committed (after_writes = -1), or committed with after_writes of its
 * words written (a number past the last word stops it just before the log is cleared). */
void mp__heap_test_pause_in_commit(int after_writes, int notify_fd);

/* Test check: walks the page runs under the lock.  Returns 0 when boundary tags, bins and
 * coalescing agree (no two free runs side by side, none before the untouched tail, no log
 * pending), MP_ECORRUPT otherwise; *large_bytes gets the bytes of large blocks allocated.
 * Errors: -EINVAL (NULL), -ENOMEM (no heap could be made). */
int mp__heap_check(uint64_t *large_bytes);

#endif
