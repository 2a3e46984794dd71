/* SPDX-License-Identifier: MIT */
/* chaos_heap.c -- the shared heap: three processes allocate and free in a tight loop (sizes
 * from size classes to page runs), one is SIGKILLed at a random moment -- often inside the
 * allocator, holding its lock, or in the middle of a page-run operation.
 *
 * Each worker fills every block it holds with its own stamp and checks it before the free: a
 * block handed to two holders at once shows up as a torn stamp.  The survivors must go on
 * allocating (the lock taken over from the dead holder); afterwards the heap's page runs
 * must pass the consistency walk (mp__heap_check), a 1 MiB and a small block must still be
 * allocatable, and the dead worker's blocks (kept in a table; one it was just allocating or
 * freeing may escape it) are freed so the heap does not fill up over the run. */
#include <stdatomic.h>
#include <string.h>

#include "chaos.h"
#include "heap/heap.h"

#define H_WORKERS 3
#define H_SLOTS 6
#define H_PROGRESS 200 /* alloc/free pairs the survivors must make after the kill */
#define H_WAIT 5000 /* ms for that progress */

typedef struct {
  _Atomic(void *) ptr;
  _Atomic size_t size;
} hslot;

typedef struct {
  _Atomic int stop;
  _Atomic long rounds;
  _Atomic int torn, failed;
  hslot slots[H_WORKERS][H_SLOTS];
} hstate;

typedef struct {
  hstate *s;
  int id;
} harg;

static const size_t sizes[] = {16, 48, 200, 1000, 4000, 20000, 70000, 300000};

static uint64_t stamp(int id, size_t size) { return (uint64_t)id << 48 | size; }

/* The stamp goes into the first and last words, and every 4 KiB between. */
static void fill(void *p, size_t size, uint64_t v) {
  for (size_t off = 0; off + 8 <= size; off += 4096) memcpy((char *)p + off, &v, 8);
  memcpy((char *)p + (size - 8), &v, 8);
}

static bool intact(const void *p, size_t size, uint64_t v) {
  uint64_t w;
  for (size_t off = 0; off + 8 <= size; off += 4096) {
    memcpy(&w, (const char *)p + off, 8);
    if (w != v) return false;
  }
  memcpy(&w, (const char *)p + (size - 8), 8);
  return w == v;
}

static int worker(void *arg) {
  harg *a = arg;
  hstate *s = a->s;
  hslot *mine = s->slots[a->id];
  while (!atomic_load(&s->stop)) {
    hslot *sl = &mine[chaos_below(H_SLOTS)];
    void *p = atomic_load(&sl->ptr);
    if (p != NULL) {
      size_t size = atomic_load(&sl->size);
      if (!intact(p, size, stamp(a->id, size))) atomic_fetch_add(&s->torn, 1);
      atomic_store(&sl->ptr, NULL); /* out of the table before the free: never freed twice */
      mp_shared_free(p, size);
    } else {
      size_t size = sizes[chaos_below(sizeof sizes / sizeof sizes[0])];
      p = mp_shared_alloc(size);
      if (p == NULL) {
        atomic_fetch_add(&s->failed, 1);
        return 1;
      }
      fill(p, size, stamp(a->id, size));
      atomic_store(&sl->size, size);
      atomic_store(&sl->ptr, p);
    }
    atomic_fetch_add(&s->rounds, 1);
  }
  return 0;
}

static void iteration(chaos_row *row, hstate *s) {
  memset(s, 0, sizeof *s);
  harg args[H_WORKERS];
  mp_process *procs[H_WORKERS];
  for (int i = 0; i < H_WORKERS; i++) {
    args[i] = (harg){s, i};
    procs[i] = chaos_start(worker, &args[i]);
  }
  chaos_sleep_us((int64_t)chaos_below(30000));
  int victim = (int)chaos_below(H_WORKERS);
  if (chaos_kill(procs[victim])) row->kills++;
  long at_kill = atomic_load(&s->rounds);
  int64_t until = chaos_now_ms() + H_WAIT;
  while (atomic_load(&s->rounds) < at_kill + H_PROGRESS && chaos_now_ms() < until &&
         !atomic_load(&s->failed))
    chaos_sleep_us(1000);
  int hung = atomic_load(&s->rounds) < at_kill + H_PROGRESS && !atomic_load(&s->failed);
  if (hung) chaos_note(row, "the survivors stopped allocating after the kill");
  atomic_store(&s->stop, 1);
  for (int i = 0; i < H_WORKERS; i++) hung += chaos_finish(procs[i], 30000);
  row->hangs += hung;
  /* every block still in the table goes back, the dead worker's included */
  for (int w = 0; w < H_WORKERS; w++)
    for (int k = 0; k < H_SLOTS; k++) {
      hslot *sl = &s->slots[w][k];
      void *p = atomic_load(&sl->ptr);
      if (p == NULL) continue;
      if (!intact(p, sl->size, stamp(w, sl->size))) s->torn++;
      mp_shared_free(p, sl->size);
    }
  uint64_t large = 0;
  int rc = mp__heap_check(&large);
  if (rc != 0) {
    chaos_note(row, "iteration %ld: the heap's consistency walk failed: %s", row->iterations,
               mp_err_name(rc));
    row->torn++;
  }
  void *big = mp_shared_alloc((size_t)1 << 20), *small = mp_shared_alloc(24);
  if (big == NULL || small == NULL) {
    chaos_note(row, "iteration %ld: the heap no longer allocates", row->iterations);
    row->lost++;
  }
  mp_shared_free(big, (size_t)1 << 20);
  mp_shared_free(small, 24);
  if (s->failed) {
    chaos_note(row, "iteration %ld: a survivor's allocation failed", row->iterations);
    row->lost += s->failed;
  }
  if (s->torn) chaos_note(row, "iteration %ld: %d blocks overwritten", row->iterations, s->torn);
  row->torn += s->torn;
}

void chaos_heap(chaos_row *row, int64_t deadline_ms, long max_iters) {
  hstate *s = chaos_shared(sizeof *s);
  chaos_census before;
  chaos_census_take(&before);
  while (chaos_now_ms() < deadline_ms && (max_iters == 0 || row->iterations < max_iters)) {
    iteration(row, s);
    row->iterations++;
    row->leaks += chaos_leaks(row, &before, 3000);
  }
}
