/* heap_internal.h -- layout of the shared heap's header. */
#ifndef MP_HEAP_INTERNAL_H
#define MP_HEAP_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "heap/heap.h"
#include "os/olock.h"

/* Small blocks come in size classes up to HEAP_SMALL_MAX; larger ones are whole pages. */
#define HEAP_SMALL_MAX 2048
#define HEAP_NCLASSES 24
#define HEAP_PAGE 4096
#define HEAP_CHUNK (64 * 1024) /* small classes carve their blocks from chunks this big */

/* One small size class.  All values are offsets from the heap base; 0 means none. */
typedef struct {
  uint64_t free_head; /* singly linked list of freed blocks; the link is a block's first word */
  uint64_t carve;     /* next never-used block in the current chunk */
  uint64_t carve_end; /* end of the current chunk */
} heap_class;

/* A free run of pages starts with this header in its first page. */
typedef struct {
  uint64_t next;   /* offset of the next free run, 0 at the end */
  uint64_t npages; /* length of this run */
} heap_run;

/* The first page of the heap mapping. */
typedef struct {
  uint64_t magic;
  uint64_t size;               /* bytes in the mapping */
  mp__olock lock;              /* notices a holder that died, see lock_heap() in heap.c */
  uint64_t top;                /* offset of the first byte never handed out */
  uint64_t allocated;          /* bytes currently allocated */
  uint64_t recoveries;         /* lock take-overs from dead holders */
  uint64_t large_head;         /* first free page run */
  heap_class cls[HEAP_NCLASSES];
} heap_hdr;

#endif
