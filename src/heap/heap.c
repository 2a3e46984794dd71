/* SPDX-License-Identifier: MIT */
/* heap.c -- the shared heap: one MAP_SHARED mapping made before the first fork, so it sits at
 * the same address in every descendant, and an allocator inside it that any of those
 * processes may call.  This file makes, describes and attaches the mapping and owns its lock;
 * heap_alloc.c has the allocation calls and size classes, heap_pages.c the page runs under
 * them, heap_journal.c the redo log that keeps a page-run operation whole.
 *
 * The mapping is a memfd's, so that a child exec'd by the spawn or forkserver start methods
 * can map the same memory at the same address (mp__heap_attach).  It starts with the header
 * (heap_internal.h), then the page map (16 bytes per page of the mapping, touched only where
 * blocks begin and end), then the pages blocks are made of.
 *
 * Crash safety: a process killed inside the allocator leaves it consistent.  Size-class
 * operations end in one store that commits them; page-run operations, which change many
 * words, are committed by one store of their redo log and finished by whoever takes the lock
 * over.  The owner-tracking lock (os/olock.h) hands the allocator to the next caller once the
 * holder is seen dead. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap/heap_internal.h"

#define HEAP_MAGIC UINT64_C(0x6d7068656171) /* "mpheaq": the layout with a page map */

char *mp__heap_base;
static int heap_fd = -1; /* the memfd behind the mapping, kept for exec'd children */
static size_t configured_size;
static pthread_mutex_t create_mutex = PTHREAD_MUTEX_INITIALIZER;

static inline heap_hdr *hdr(void) { return mp__heap_hdr(); }

void mp__heap_lock_recover(heap_hdr *h) {
  /* The dead holder's page-run operation, if it had committed one, is finished first; any
   * other state it left is consistent already (see above). */
  mp__heap_log_recover(h);
  h->recoveries++;
  mp__olock_consistent(&h->lock);
  mp__log(MP_LOG_WARNING, "shared heap: took the allocator over from a dead process");
}

static bool size_ok(size_t size) { return size >= ((size_t)1 << 20) && size <= ((size_t)1 << 40); }

/* Parses MP_HEAP_SIZE ("512M", "2G", "1048576") into *out: 0 when unset, -EINVAL (with the
 * reason for mp_error_message()) when it is set but not a size. */
static int env_size(size_t *out) {
  *out = 0;
  const char *s = getenv("MP_HEAP_SIZE");
  if (s == NULL || *s == 0) return 0;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  unsigned shift = 0;
  switch (*end) {
    case 'k':
    case 'K':
      shift = 10;
      end++;
      break;
    case 'm':
    case 'M':
      shift = 20;
      end++;
      break;
    case 'g':
    case 'G':
      shift = 30;
      end++;
      break;
    default: break;
  }
  if (end == s || *end != 0 || errno != 0 || s[0] == '-' || v > (~0ULL >> shift) ||
      !size_ok((size_t)(v << shift)))
    return mp__fail(-EINVAL,
                    "MP_HEAP_SIZE=\"%s\" is not a heap size: a number of bytes, or of K, M or G, "
                    "from 1M to 1024G",
                    s);
  *out = (size_t)(v << shift);
  return 0;
}

int mp_heap_configure(size_t size) {
  if (!size_ok(size)) return -EINVAL;
  pthread_mutex_lock(&create_mutex);
  int r = mp__heap_base ? MP_ESTATE : 0;
  if (r == 0) configured_size = size;
  pthread_mutex_unlock(&create_mutex);
  return r;
}

/* Where the heap asks to be mapped: far above a PIE binary's image and its brk heap, far below
 * the kernel's mmap area (and above AddressSanitizer's shadow), so that a freshly exec'd image
 * of the program (spawn, forkserver) almost surely finds the same range free and maps the heap
 * at the same address, which keeps every pointer into it valid there too. */
#define HEAP_ADDR_HINT ((uintptr_t)0x200000000000)

int mp__heap_ensure(void) {
  if (mp__likely(__atomic_load_n(&mp__heap_base, __ATOMIC_ACQUIRE) != NULL)) return 0;
  pthread_mutex_lock(&create_mutex);
  int r = 0;
  size_t size = configured_size;
  if (mp__heap_base == NULL && size == 0)
    r = env_size(&size); /* a malformed MP_HEAP_SIZE is an error, not a silent default */
  if (size == 0) size = MP_HEAP_DEFAULT_SIZE;
  if (mp__heap_base == NULL && r == 0) {
    size = (size + HEAP_PAGE - 1) & ~(size_t)(HEAP_PAGE - 1);
    /* A memfd rather than an anonymous mapping: the same shared memory, but with an fd that an
     * exec'd child can map too.  NORESERVE: only touched pages cost memory, so a large
     * reservation is free -- except under strict overcommit accounting or an address-space
     * limit, where the kernel refuses it: then settle for the largest half that it grants,
     * down to 1 MiB. */
    int fd = mp__memfd_new("multiproc-heap");
    void *p = NULL;
    for (; fd >= 0;) {
      if (ftruncate(fd, (off_t)size) == 0 &&
          mp__map_shared(fd, size, (void *)HEAP_ADDR_HINT, MP__MAP_NORESERVE, &p) == 0)
        break;
      if (size / 2 < ((size_t)1 << 20)) break;
      size = (size / 2) & ~(size_t)(HEAP_PAGE - 1);
    }
    if (p == NULL) {
      if (fd >= 0) close(fd);
      r = -ENOMEM;
    } else {
      heap_hdr *h = p;
      h->magic = HEAP_MAGIC;
      h->size = size;
      h->map = (sizeof(heap_hdr) + HEAP_PAGE - 1) & ~(uint64_t)(HEAP_PAGE - 1);
      uint64_t map_bytes = size / HEAP_PAGE * sizeof(heap_page);
      h->data = h->map + ((map_bytes + HEAP_PAGE - 1) & ~(uint64_t)(HEAP_PAGE - 1));
      h->top = h->peak = h->data;
      heap_fd = fd;
      __atomic_store_n(&mp__heap_base, (char *)p, __ATOMIC_RELEASE);
      mp__log(MP_LOG_DEBUG, "shared heap of %zu bytes at %p", size, p);
    }
  }
  pthread_mutex_unlock(&create_mutex);
  return r;
}

int mp__heap_export(mp__heap_ref *out) {
  int r = mp__heap_ensure();
  if (r != 0) return r;
  out->fd = heap_fd;
  out->addr = (uint64_t)(uintptr_t)mp__heap_base;
  out->size = hdr()->size;
  return 0;
}

int mp__heap_attach(const mp__heap_ref *ref) {
  pthread_mutex_lock(&create_mutex);
  int r = 0;
  if (mp__heap_base != NULL) {
    r = MP_ESTATE;
  } else {
    void *p = NULL;
    r = mp__map_shared(ref->fd, ref->size, (void *)(uintptr_t)ref->addr,
                       MP__MAP_NORESERVE | MP__MAP_EXACT, &p);
    if (r != 0) {
      /* nothing mapped */
    } else if (((heap_hdr *)p)->magic != HEAP_MAGIC) {
      mp__unmap(p, ref->size);
      r = MP_ECORRUPT;
    } else {
      (void)fcntl(ref->fd, F_SETFD, FD_CLOEXEC); /* exec cleared it; our own children get a dup */
      heap_fd = ref->fd;
      __atomic_store_n(&mp__heap_base, (char *)p, __ATOMIC_RELEASE);
    }
  }
  pthread_mutex_unlock(&create_mutex);
  return r;
}

int mp_heap_stats_get(mp_heap_stats *out) {
  if (out == NULL) return -EINVAL;
  if (mp__heap_ensure() != 0) return -ENOMEM;
  heap_hdr *h = hdr();
  mp__heap_lock(h);
  *out = (mp_heap_stats){
      .size = h->size, .used = h->peak, .allocated = h->allocated, .recoveries = h->recoveries};
  mp__heap_unlock(h);
  return 0;
}

bool mp__heap_contains(const void *p, size_t len) {
  const char *base = __atomic_load_n(&mp__heap_base, __ATOMIC_ACQUIRE);
  if (base == NULL || p == NULL) return false;
  uint64_t size = hdr()->size;
  uintptr_t off = (uintptr_t)p - (uintptr_t)base;
  return (uintptr_t)p >= (uintptr_t)base && off <= size && len <= size - off;
}

void mp__heap_test_hold_lock(void) {
  if (mp__heap_ensure() == 0) mp__heap_lock(hdr());
}

int mp__heap_check(uint64_t *large_bytes) {
  if (large_bytes == NULL) return -EINVAL;
  if (mp__heap_ensure() != 0) return -ENOMEM;
  heap_hdr *h = hdr();
  mp__heap_lock(h);
  int r = mp__pages_check(h, large_bytes);
  mp__heap_unlock(h);
  return r;
}
