/* SPDX-License-Identifier: MIT */
/* multiproc/heap.h -- the shared heap: one MAP_SHARED mapping reserved before the first child
 * is forked and therefore at the same address in every descendant, from which the library
 * places every process-shared object (locks, values, queues).  A pointer into it is valid in
 * every process forked after the heap exists, even for objects allocated after that fork. */
#ifndef MULTIPROC_HEAP_H
#define MULTIPROC_HEAP_H

#include <stddef.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default size of the heap's address-space reservation (memory is only used as touched). */
#define MP_HEAP_DEFAULT_SIZE ((size_t)1 << 30)

/* Sets the heap size before its first use (the first _new of a shared object or the first
 * mp_process_start()).  The environment variable MP_HEAP_SIZE (bytes, or with a K/M/G suffix)
 * sets it too; this call wins.  A malformed or out-of-range MP_HEAP_SIZE (and no call of this)
 * makes the heap's first use fail: -EINVAL from mp_process_start() and the pool and manager
 * constructors, -ENOMEM from the shared objects' constructors, with the reason in
 * mp_error_message().  Errors: -EINVAL (under 1 MiB or over 1 TiB), MP_ESTATE (the heap exists
 * already). */
MP_EXTERN int mp_heap_configure(size_t size);

/* Allocates size bytes of zeroed memory in the shared heap, aligned to 16 bytes.  The caller
 * owns it and frees it with mp_shared_free() and the same size, from any process sharing the
 * heap.  Returns NULL when size is 0 or the heap is exhausted (errno set to EINVAL or
 * ENOMEM).  Never blocks for long: a process killed while inside the allocator does not
 * wedge it; the next caller takes over within about 50 ms (3.2 s for one that was already
 * waiting over a second). */
MP_EXTERN void *mp_shared_alloc(size_t size);

/* Frees memory from mp_shared_alloc(); NULL is accepted.  size must be the size allocated. */
MP_EXTERN void mp_shared_free(void *ptr, size_t size);

/* Usage figures, for diagnostics and tests. */
typedef struct mp_heap_stats {
  size_t size; /* bytes reserved */
  size_t used; /* bytes handed out from the reservation so far (its high-water mark) */
  size_t allocated; /* bytes currently allocated by callers (rounded to size classes) */
  size_t recoveries; /* times a caller took the heap lock over from a dead holder */
} mp_heap_stats;

/* Fills *out.  Errors: -EINVAL (NULL), -ENOMEM (the heap could not be created). */
MP_EXTERN int mp_heap_stats_get(mp_heap_stats *out);

#ifdef __cplusplus
}
#endif
#endif
