/* heap.c -- the shared heap: one MAP_SHARED mapping made before the first fork, so it sits at
 * the same address in every descendant, and an allocator inside it that any of those
 * processes may call.
 *
 * The mapping is a memfd's, so that a child exec'd by the spawn or forkserver start methods
 * can map the same memory at the same address (mp__heap_attach).
 *
 * Small blocks (<= 2048 bytes) come from size-class free lists, refilled by carving 64 KiB
 * chunks that are pre-faulted so first touches do not fault one page at a time.  Large blocks
 * are runs of pages; freeing one punches its pages out of the mapping (MADV_REMOVE), which
 * gives the memory back to the system, and keeps the run for reuse.
 *
 * Crash safety: every operation under the lock ends in one store that commits it (pop: the
 * list head; push: the list head after the link is written; carve: the cursor; split: the
 * run's length; bump: top).  A process killed anywhere in between leaves the structures
 * consistent and at worst leaks the block it was working on, and the owner-tracking lock
 * (os/olock.h) hands the allocator to the next caller once the holder is seen dead. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "heap/heap_internal.h"

#define HEAP_MAGIC UINT64_C(0x6d7068656170) /* "mpheap" */

static const uint32_t class_size[HEAP_NCLASSES] = {
    16,  32,  48,  64,  80,   96,   112,  128,  160,  192,  224,  256,
    320, 384, 448, 512, 640,  768,  896,  1024, 1280, 1536, 1792, 2048};

static char *heap_base;
static int heap_fd = -1; /* the memfd behind the mapping, kept for exec'd children */
static size_t configured_size;
static pthread_mutex_t create_mutex = PTHREAD_MUTEX_INITIALIZER;

static inline heap_hdr *hdr(void) { return (heap_hdr *)(void *)heap_base; }

/* Takes the allocator lock.  A holder that died inside the allocator left the structures
 * consistent (see above), so a take-over is marked consistent at once and only counted. */
static void lock_heap(heap_hdr *h) {
  if (mp__unlikely(mp__olock_acquire(&h->lock, MP_FOREVER) == MP_EOWNERDEAD)) {
    h->recoveries++;
    mp__olock_consistent(&h->lock);
    mp__log(MP_LOG_WARNING, "shared heap: took the allocator over from a dead process");
  }
}

static void unlock_heap(heap_hdr *h) { mp__olock_release(&h->lock); }

/* Parses MP_HEAP_SIZE ("512M", "2G", "1048576"); 0 when unset or malformed. */
static size_t env_size(void) {
  const char *s = getenv("MP_HEAP_SIZE");
  if (s == NULL || *s == 0) return 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  switch (*end) {
  case 'k': case 'K': v <<= 10; end++; break;
  case 'm': case 'M': v <<= 20; end++; break;
  case 'g': case 'G': v <<= 30; end++; break;
  default: break;
  }
  return *end == 0 ? (size_t)v : 0;
}

static bool size_ok(size_t size) { return size >= ((size_t)1 << 20) && size <= ((size_t)1 << 40); }

int mp_heap_configure(size_t size) {
  if (!size_ok(size)) return -EINVAL;
  pthread_mutex_lock(&create_mutex);
  int r = heap_base ? MP_ESTATE : 0;
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
  if (mp__likely(__atomic_load_n(&heap_base, __ATOMIC_ACQUIRE) != NULL)) return 0;
  pthread_mutex_lock(&create_mutex);
  int r = 0;
  if (heap_base == NULL) {
    size_t size = configured_size ? configured_size : env_size();
    if (!size_ok(size)) size = MP_HEAP_DEFAULT_SIZE;
    size = (size + HEAP_PAGE - 1) & ~(size_t)(HEAP_PAGE - 1);
    /* A memfd rather than an anonymous mapping: the same shared memory, but with an fd that an
     * exec'd child can map too.  NORESERVE: only touched pages cost memory, so a large
     * reservation is free -- except under strict overcommit accounting or an address-space
     * limit, where the kernel refuses it: then settle for the largest half that it grants,
     * down to 1 MiB. */
    int fd = (int)syscall(SYS_memfd_create, "multiproc-heap", MFD_CLOEXEC);
    void *p = MAP_FAILED;
    for (; fd >= 0;) {
      if (ftruncate(fd, (off_t)size) == 0) {
        p = mmap((void *)HEAP_ADDR_HINT, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                 fd, 0);
        if (p != MAP_FAILED) break;
      }
      if (size / 2 < ((size_t)1 << 20)) break;
      size = (size / 2) & ~(size_t)(HEAP_PAGE - 1);
    }
    if (p == MAP_FAILED) {
      if (fd >= 0) close(fd);
      r = -ENOMEM;
    } else {
      heap_hdr *h = p;
      h->magic = HEAP_MAGIC;
      h->size = size;
      h->top = (sizeof(heap_hdr) + HEAP_PAGE - 1) & ~(uint64_t)(HEAP_PAGE - 1);
      heap_fd = fd;
      __atomic_store_n(&heap_base, (char *)p, __ATOMIC_RELEASE);
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
  out->addr = (uint64_t)(uintptr_t)heap_base;
  out->size = hdr()->size;
  return 0;
}

int mp__heap_attach(const mp__heap_ref *ref) {
  pthread_mutex_lock(&create_mutex);
  int r = 0;
  if (heap_base != NULL) {
    r = MP_ESTATE;
  } else {
    void *p = mmap((void *)(uintptr_t)ref->addr, ref->size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_NORESERVE | MAP_FIXED_NOREPLACE, ref->fd, 0);
    if (p == MAP_FAILED) {
      r = -errno;
    } else if (p != (void *)(uintptr_t)ref->addr || ((heap_hdr *)p)->magic != HEAP_MAGIC) {
      munmap(p, ref->size); /* an old kernel took the address as a hint only */
      r = p != (void *)(uintptr_t)ref->addr ? -EEXIST : MP_ECORRUPT;
    } else {
      (void)fcntl(ref->fd, F_SETFD, FD_CLOEXEC); /* exec cleared it; our own children get a dup */
      heap_fd = ref->fd;
      __atomic_store_n(&heap_base, (char *)p, __ATOMIC_RELEASE);
    }
  }
  pthread_mutex_unlock(&create_mutex);
  return r;
}

static int class_of(size_t n) {
  if (n <= 128) return (int)((n + 15) / 16) - 1;
  for (int c = 8; c < HEAP_NCLASSES; c++)
    if (n <= class_size[c]) return c;
  return -1;
}

/* Takes a small block of class c.  Lock held.  Sets *fresh when the memory was never used
 * (and so is still zero).  Returns its offset, or 0 when the heap is exhausted. */
static uint64_t small_take(heap_hdr *h, int c, bool *fresh, uint64_t *new_chunk) {
  heap_class *k = &h->cls[c];
  uint64_t sz = class_size[c];
  if (k->free_head) {
    uint64_t off = k->free_head;
    k->free_head = *(uint64_t *)(void *)(heap_base + off); /* commit: popped */
    *fresh = false;
    return off;
  }
  *fresh = true;
  if (k->carve + sz > k->carve_end) {
    if (h->top + HEAP_CHUNK > h->size) return 0;
    uint64_t chunk = h->top;
    h->top = chunk + HEAP_CHUNK; /* commit: the chunk is this class's (leaked if we die now) */
    /* carve first: until carve_end moves, carve >= carve_end reads as "exhausted". */
    k->carve = chunk;
    k->carve_end = chunk + HEAP_CHUNK;
    *new_chunk = chunk;
  }
  uint64_t off = k->carve;
  k->carve = off + sz; /* commit: carved */
  return off;
}

/* Takes npages pages: a fitting free run (its tail when longer) or fresh ones.  Lock held.
 * *fresh_len tells how many leading bytes may hold stale data (the run header). */
static uint64_t large_take(heap_hdr *h, uint64_t npages, size_t *dirty) {
  *dirty = 0;
  uint64_t *link = &h->large_head;
  while (*link) {
    heap_run *run = (heap_run *)(void *)(heap_base + *link);
    if (run->npages == npages) {
      uint64_t off = *link;
      *link = run->next; /* commit: unlinked */
      *dirty = sizeof(heap_run);
      return off;
    }
    if (run->npages > npages) {
      run->npages -= npages; /* commit: the tail is ours; its pages were punched out (zero) */
      return *link + run->npages * HEAP_PAGE;
    }
    link = &run->next;
  }
  if (h->top + npages * HEAP_PAGE > h->size) return 0;
  uint64_t off = h->top;
  h->top = off + npages * HEAP_PAGE; /* commit: bumped */
  return off;
}

void *mp_shared_alloc(size_t size) {
  if (size == 0 || size > ((size_t)1 << 40)) {
    errno = size ? ENOMEM : EINVAL;
    return NULL;
  }
  if (mp__heap_ensure() != 0) {
    errno = ENOMEM;
    return NULL;
  }
  heap_hdr *h = hdr();
  int c = class_of(size);
  if (c >= 0) {
    bool fresh;
    uint64_t chunk = 0;
    lock_heap(h);
    uint64_t off = small_take(h, c, &fresh, &chunk);
    if (off) h->allocated += class_size[c];
    unlock_heap(h);
    if (off == 0) {
      errno = ENOMEM;
      return NULL;
    }
    if (chunk) (void)madvise(heap_base + chunk, HEAP_CHUNK, MADV_POPULATE_WRITE);
    void *p = heap_base + off;
    if (!fresh) memset(p, 0, class_size[c]);
    return p;
  }
  uint64_t npages = (size + HEAP_PAGE - 1) / HEAP_PAGE;
  size_t dirty;
  lock_heap(h);
  uint64_t off = large_take(h, npages, &dirty);
  if (off) h->allocated += npages * HEAP_PAGE;
  unlock_heap(h);
  if (off == 0) {
    errno = ENOMEM;
    return NULL;
  }
  void *p = heap_base + off;
  memset(p, 0, dirty);
  return p;
}

void mp_shared_free(void *ptr, size_t size) {
  if (ptr == NULL || heap_base == NULL) return;
  heap_hdr *h = hdr();
  uint64_t off = (uint64_t)((char *)ptr - heap_base);
  if ((char *)ptr < heap_base || off >= h->size || size == 0) {
    mp__log(MP_LOG_ERROR, "mp_shared_free: %p is not in the shared heap", ptr);
    return;
  }
  int c = class_of(size);
  if (c >= 0) {
    lock_heap(h);
    heap_class *k = &h->cls[c];
    *(uint64_t *)ptr = k->free_head;
    k->free_head = off; /* commit: pushed */
    h->allocated -= class_size[c];
    unlock_heap(h);
    return;
  }
  uint64_t npages = (size + HEAP_PAGE - 1) / HEAP_PAGE;
  /* Give the pages back to the system before listing the run; only the header page, which
   * the write below faults in again, stays resident. */
  (void)madvise(ptr, npages * HEAP_PAGE, MADV_REMOVE);
  heap_run *run = ptr;
  run->npages = npages;
  lock_heap(h);
  run->next = h->large_head;
  h->large_head = off; /* commit: listed */
  h->allocated -= npages * HEAP_PAGE;
  unlock_heap(h);
}

int mp_heap_stats_get(mp_heap_stats *out) {
  if (out == NULL) return -EINVAL;
  if (mp__heap_ensure() != 0) return -ENOMEM;
  heap_hdr *h = hdr();
  lock_heap(h);
  *out = (mp_heap_stats){.size = h->size, .used = h->top, .allocated = h->allocated,
                         .recoveries = h->recoveries};
  unlock_heap(h);
  return 0;
}

bool mp__heap_contains(const void *p, size_t len) {
  const char *base = __atomic_load_n(&heap_base, __ATOMIC_ACQUIRE);
  if (base == NULL || p == NULL) return false;
  uint64_t size = hdr()->size;
  uintptr_t off = (uintptr_t)p - (uintptr_t)base;
  return (uintptr_t)p >= (uintptr_t)base && off <= size && len <= size - off;
}

void mp__heap_test_hold_lock(void) {
  if (mp__heap_ensure() == 0) lock_heap(hdr());
}

