/* heap.h -- the shared heap inside the library: creation before the first fork, and the
 * allocation calls every layer above uses for process-shared objects. */
#ifndef MP_HEAP_H
#define MP_HEAP_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

/* Creates the heap if this process has none yet.  Called before every fork the library makes,
 * so that every child shares it.  Returns 0 or -ENOMEM. */
int mp__heap_ensure(void);

/* Zeroed shared memory for a library object; see mp_shared_alloc().  NULL when exhausted. */
static inline void *mp__shared_alloc(size_t size) { return mp_shared_alloc(size); }
static inline void mp__shared_free(void *ptr, size_t size) { mp_shared_free(ptr, size); }

/* Whether the n bytes at p lie inside this process's shared heap (false when it has none): lets
 * a value that names a heap address (a manager token) be checked before it is followed. */
bool mp__heap_contains(const void *p, size_t n);

/* Test hook: takes the heap lock and never gives it back, to let a test kill a process while
 * it holds the allocator. */
void mp__heap_test_hold_lock(void);

#endif
