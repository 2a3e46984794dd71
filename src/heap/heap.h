/* heap.h -- shared memory for library objects that must be reachable from every process. */
#ifndef MP_HEAP_H
#define MP_HEAP_H

#include <stddef.h>

#include "internal.h"

/* Returns zeroed memory of at least size bytes, shared with every child forked afterwards,
 * or NULL when out of memory.  Free with mp__shared_free() and the same size. */
void *mp__shared_alloc(size_t size);
void mp__shared_free(void *ptr, size_t size);

#endif
