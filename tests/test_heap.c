/* SPDX-License-Identifier: MIT */
/* test_heap.c -- the shared heap: sharing after fork, zeroed memory, size classes and pages,
 * exhaustion, returning memory, freed page runs merging with their neighbours, and surviving
 * a process killed inside the allocator (also inside a merging free). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "heap/heap.h"

START_TEST(alloc_free_basics) {
  errno = 0;
  ck_assert_ptr_null(mp_shared_alloc(0));
  ck_assert_int_eq(errno, EINVAL);
  size_t sizes[] = {1, 15, 16, 17, 100, 128, 129, 1000, 2048, 2049, 4096, 10000, 1 << 20};
  void *p[sizeof sizes / sizeof sizes[0]];
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    p[i] = mp_shared_alloc(sizes[i]);
    ck_assert_ptr_nonnull(p[i]);
    ck_assert_int_eq((uintptr_t)p[i] % 16, 0);
    for (size_t j = 0; j < sizes[i]; j++) ck_assert_int_eq(((unsigned char *)p[i])[j], 0);
    memset(p[i], 0xA5, sizes[i]);
  }
  /* Freed and re-allocated blocks come back zeroed. */
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) mp_shared_free(p[i], sizes[i]);
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    void *q = mp_shared_alloc(sizes[i]);
    ck_assert_ptr_nonnull(q);
    for (size_t j = 0; j < sizes[i]; j++) ck_assert_int_eq(((unsigned char *)q)[j], 0);
    mp_shared_free(q, sizes[i]);
  }
  mp_shared_free(NULL, 10);
  mp_heap_stats st;
  mp_assert_ok(mp_heap_stats_get(&st));
  ck_assert_int_eq(st.allocated, 0);
  ck_assert_int_ge(st.size, MP_HEAP_DEFAULT_SIZE);
  mp_assert_rc(mp_heap_stats_get(NULL), -EINVAL);
}
END_TEST

START_TEST(configure_rules) {
  mp_assert_rc(mp_heap_configure(1000), -EINVAL);
  mp_assert_ok(mp_heap_configure((size_t)4 << 20));
  void *p = mp_shared_alloc(64);
  ck_assert_ptr_nonnull(p);
  mp_assert_rc(mp_heap_configure((size_t)8 << 20), MP_ESTATE);
  mp_heap_stats st;
  mp_assert_ok(mp_heap_stats_get(&st));
  ck_assert_int_eq(st.size, (size_t)4 << 20);
  mp_shared_free(p, 64);
}
END_TEST

START_TEST(exhaustion_is_an_error) {
  mp_assert_ok(mp_heap_configure((size_t)2 << 20));
  enum { MAX = 4096 };
  static void *blocks[MAX];
  int n = 0;
  errno = 0;
  while (n < MAX && (blocks[n] = mp_shared_alloc(1000)) != NULL) n++;
  ck_assert_int_lt(n, MAX);
  ck_assert_int_gt(n, 100);
  ck_assert_int_eq(errno, ENOMEM);
  errno = 0;
  ck_assert_ptr_null(mp_shared_alloc(1 << 20));
  ck_assert_int_eq(errno, ENOMEM);
  for (int i = 0; i < n; i++) mp_shared_free(blocks[i], 1000);
  for (int i = 0; i < n; i++) ck_assert_ptr_nonnull(blocks[i] = mp_shared_alloc(1000));
  for (int i = 0; i < n; i++) mp_shared_free(blocks[i], 1000);
}
END_TEST

/* Under a tight address-space limit (as strict overcommit accounting would refuse the
 * reservation) the heap settles for a smaller one instead of failing.  Sanitizer builds
 * reserve terabytes of shadow memory, so an address-space limit cannot be set there; the
 * plain pass runs this case. */
#if defined(__SANITIZE_ADDRESS__)
#define MP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_TEST_ASAN 1
#endif
#endif
#ifndef MP_TEST_ASAN
START_TEST(reservation_falls_back) {
  struct rlimit rl = {(rlim_t)600 << 20, (rlim_t)600 << 20};
  ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
  void *p = mp_shared_alloc(100);
  ck_assert_ptr_nonnull(p);
  mp_heap_stats st;
  mp_assert_ok(mp_heap_stats_get(&st));
  ck_assert_uint_lt(st.size, MP_HEAP_DEFAULT_SIZE);
  ck_assert_uint_ge(st.size, (size_t)1 << 20);
  mp_shared_free(p, 100);
}
END_TEST
#define MP_TEST_RLIMIT_CASE 1
#endif

/* Objects allocated after a child was forked are visible to it at the same address. */
typedef struct {
  int fd_to_child, fd_to_parent;
} pipes;

static int read_later_object(void *arg) {
  pipes *pp = arg;
  char *obj;
  if (read(pp->fd_to_child, &obj, sizeof obj) != sizeof obj) return 1;
  if (strcmp(obj, "made after the fork") != 0) return 2;
  strcpy(obj, "seen by the child");
  char ok = 1;
  return write(pp->fd_to_parent, &ok, 1) == 1 ? 0 : 3;
}

START_TEST(objects_after_fork_are_shared) {
  int a[2], b[2];
  ck_assert_int_eq(pipe(a), 0);
  ck_assert_int_eq(pipe(b), 0);
  pipes pp = {a[0], b[1]};
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, read_later_object, &pp, NULL));
  mp_assert_ok(mp_process_start(p));
  char *obj = mp_shared_alloc(64);
  ck_assert_ptr_nonnull(obj);
  strcpy(obj, "made after the fork");
  ck_assert_int_eq(write(a[1], &obj, sizeof obj), (ssize_t)sizeof obj);
  char ok = 0;
  ck_assert_int_eq(read(b[0], &ok, 1), 1);
  ck_assert_str_eq(obj, "seen by the child");
  mp_assert_ok(mp_process_join(p, 10000));
  int code;
  mp_assert_ok(mp_process_exitcode(p, &code));
  ck_assert_int_eq(code, 0);
  mp_process_free(p);
  mp_shared_free(obj, 64);
  for (int i = 0; i < 2; i++) {
    close(a[i]);
    close(b[i]);
  }
}
END_TEST

/* Freed large blocks give their pages back to the system. */
START_TEST(large_free_returns_memory) {
  size_t len = (size_t)4 << 20;
  unsigned char *p = mp_shared_alloc(len);
  ck_assert_ptr_nonnull(p);
  memset(p, 1, len);
  size_t pages = len / 4096;
  unsigned char *vec = malloc(pages);
  ck_assert_int_eq(mincore(p, len, vec), 0);
  size_t resident = 0;
  for (size_t i = 0; i < pages; i++) resident += vec[i] & 1;
  ck_assert_uint_eq(resident, pages);
  mp_shared_free(p, len);
  ck_assert_int_eq(mincore(p, len, vec), 0);
  resident = 0;
  for (size_t i = 0; i < pages; i++) resident += vec[i] & 1;
  ck_assert_uint_le(resident, 1); /* only the free-run header page */
  /* Reusing part of the run hands out zeroed memory. */
  unsigned char *q = mp_shared_alloc(len / 2);
  ck_assert_ptr_nonnull(q);
  for (size_t i = 0; i < len / 2; i += 512) ck_assert_int_eq(q[i], 0);
  mp_shared_free(q, len / 2);
  free(vec);
}
END_TEST

/* A process that dies holding the allocator lock does not wedge the others. */
static int hold_allocator_and_wait(void *arg) {
  int fd = (int)(intptr_t)arg;
  mp__heap_test_hold_lock();
  char c = 1;
  if (write(fd, &c, 1) != 1) return 1;
  pause(); /* killed here, inside the allocator */
  return 0;
}

START_TEST(killed_inside_allocator) {
  ck_assert_ptr_nonnull(mp_shared_alloc(16)); /* create the heap before the fork */
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, hold_allocator_and_wait, (void *)(intptr_t)fds[1], NULL));
  mp_assert_ok(mp_process_start(p));
  char c;
  ck_assert_int_eq(read(fds[0], &c, 1), 1);
  mp_assert_ok(mp_process_kill(p));
  /* Allocate before joining: the dead holder is still a zombie, which must count as dead
   * (the parent would otherwise wait in the allocator for a reap it can never do). */
  int64_t t0 = mp_test_now_ms();
  void *q = mp_shared_alloc(100);
  ck_assert_ptr_nonnull(q);
  ck_assert_int_lt(mp_test_now_ms() - t0, 5000);
  mp_assert_ok(mp_process_join(p, 10000));
  mp_heap_stats st;
  mp_assert_ok(mp_heap_stats_get(&st));
  ck_assert_uint_eq(st.recoveries, 1);
  mp_shared_free(q, 100);
  mp_process_free(p);
  close(fds[0]);
  close(fds[1]);
}
END_TEST

/* Several processes allocate and free at random while others are killed mid-way; every block
 * handed out stays exclusively its owner's (patterns are verified) and the heap keeps working. */
static size_t rand_size(unsigned *seed) {
  unsigned r = (unsigned)rand_r(seed);
  return (r % 8 == 0) ? 2049 + r % 20000 : 1 + r % 2048;
}

static int churn(void *arg) {
  unsigned seed = (unsigned)(uintptr_t)arg;
  enum { SLOTS = 64 };
  unsigned char *blk[SLOTS] = {0};
  size_t len[SLOTS] = {0};
  unsigned char tag = (unsigned char)(getpid() & 0xff) | 1;
  for (int i = 0; i < 4000; i++) {
    int s = rand_r(&seed) % SLOTS;
    if (blk[s]) {
      for (size_t j = 0; j < len[s]; j += 61)
        if (blk[s][j] != tag) return 1; /* somebody else wrote into our block */
      mp_shared_free(blk[s], len[s]);
      blk[s] = NULL;
    } else {
      len[s] = rand_size(&seed);
      blk[s] = mp_shared_alloc(len[s]);
      if (blk[s] == NULL) return 2;
      memset(blk[s], tag, len[s]);
    }
  }
  for (int s = 0; s < SLOTS; s++) mp_shared_free(blk[s], len[s]);
  return 0;
}

START_TEST(concurrent_churn_with_kills) {
  ck_assert_ptr_nonnull(mp_shared_alloc(16));
  for (int round = 0; round < 6; round++) {
    mp_process *worker[2], *victim;
    for (int i = 0; i < 2; i++) {
      mp_assert_ok(
          mp_process_new(&worker[i], churn, (void *)(uintptr_t)(round * 10 + i + 1), NULL));
      mp_assert_ok(mp_process_start(worker[i]));
    }
    mp_assert_ok(mp_process_new(&victim, churn, (void *)(uintptr_t)(round + 100), NULL));
    mp_assert_ok(mp_process_start(victim));
    mp_test_sleep_ms(1 + round * 3);
    mp_assert_ok(mp_process_kill(victim));
    mp_assert_ok(mp_process_join(victim, 20000));
    for (int i = 0; i < 2; i++) {
      int code = -1;
      mp_assert_ok(mp_process_join(worker[i], 30000));
      mp_assert_ok(mp_process_exitcode(worker[i], &code));
      ck_assert_int_eq(code, 0);
      mp_process_free(worker[i]);
    }
    mp_process_free(victim);
  }
  ck_assert_int_eq(churn((void *)7), 0); /* and the parent can still use it */
  uint64_t large;
  mp_assert_ok(mp__heap_check(&large)); /* and the victims left the page runs consistent */
}
END_TEST

/* ---- page runs merge with their free neighbours ---- */

enum { PG = 4096 };

/* The heap's own consistency walk, and the bytes of large blocks it found. */
static uint64_t checked_large_bytes(void) {
  uint64_t large = 0;
  mp_assert_ok(mp__heap_check(&large));
  return large;
}

START_TEST(freed_runs_merge) {
  mp_assert_ok(mp_heap_configure((size_t)8 << 20));
  mp_heap_stats st0;
  mp_assert_ok(mp_heap_stats_get(&st0));
  /* Four neighbours from the untouched tail, in address order. */
  char *b[4];
  for (int i = 0; i < 4; i++) ck_assert_ptr_nonnull(b[i] = mp_shared_alloc(4 * PG));
  for (int i = 1; i < 4; i++) ck_assert_ptr_eq(b[i], b[i - 1] + 4 * PG);
  ck_assert_uint_eq(checked_large_bytes(), 16 * PG);
  /* Left and right of b[1] free, then b[1]: one run of 12 pages where b[0] was. */
  mp_shared_free(b[0], 4 * PG);
  mp_shared_free(b[2], 4 * PG);
  ck_assert_uint_eq(checked_large_bytes(), 8 * PG);
  mp_shared_free(b[1], 4 * PG);
  ck_assert_uint_eq(checked_large_bytes(), 4 * PG);
  char *merged = mp_shared_alloc(12 * PG);
  ck_assert_ptr_eq(merged, b[0]);
  /* A split hands out the front and keeps the rest a run. */
  mp_shared_free(merged, 12 * PG);
  char *front = mp_shared_alloc(3 * PG);
  ck_assert_ptr_eq(front, b[0]);
  char *rest = mp_shared_alloc(9 * PG);
  ck_assert_ptr_eq(rest, b[0] + 3 * PG);
  mp_shared_free(front, 3 * PG);
  mp_shared_free(rest, 9 * PG);
  /* Freeing the last block takes everything back into the tail: the next block starts where
   * the first one did, and nothing is left in use. */
  mp_shared_free(b[3], 4 * PG);
  ck_assert_uint_eq(checked_large_bytes(), 0);
  char *again = mp_shared_alloc(64 * PG);
  ck_assert_ptr_eq(again, b[0]);
  mp_heap_stats st;
  mp_assert_ok(mp_heap_stats_get(&st));
  ck_assert_uint_eq(st.allocated, st0.allocated + 64 * PG);
  /* A second free, or a free with the wrong size, is refused (logged) and changes nothing. */
  mp_shared_free(again, 64 * PG);
  mp_shared_free(again, 64 * PG);
  char *c = mp_shared_alloc(8 * PG);
  ck_assert_ptr_nonnull(c);
  mp_shared_free(c, 4 * PG);
  mp_shared_free(c + PG, 7 * PG);
  mp_assert_ok(mp_heap_stats_get(&st));
  ck_assert_uint_eq(st.allocated, st0.allocated + 8 * PG);
  ck_assert_uint_eq(checked_large_bytes(), 8 * PG);
  mp_shared_free(c, 8 * PG);
  ck_assert_uint_eq(checked_large_bytes(), 0);
}
END_TEST

/* The pattern of the heap_frag: at most 8 live blocks of 2..256 pages, allocated and
 * freed at random.  Uncoalesced runs used up a 64 MiB heap within about a thousand operations
 * (the whole 1 GiB default within 16,347); merged ones never run out. */
START_TEST(random_large_churn_never_runs_out) {
  mp_assert_ok(mp_heap_configure((size_t)64 << 20));
  static const size_t sizes[] = {5000, 16384, 65536, 300000, 1 << 20};
  struct {
    char *p;
    size_t n;
  } live[8] = {{0}};
  uint64_t x = 88172645463325252ULL;
  for (long i = 0; i < 100000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int k = (int)(x % 8);
    if (live[k].p) {
      mp_shared_free(live[k].p, live[k].n);
      live[k].p = NULL;
      continue;
    }
    live[k].n = sizes[(x >> 8) % 5];
    live[k].p = mp_shared_alloc(live[k].n);
    ck_assert_msg(live[k].p != NULL, "alloc of %zu failed at op %ld", live[k].n, i);
    live[k].p[0] = 1;
    live[k].p[live[k].n - 1] = 1;
    if (i % 25000 == 0) (void)checked_large_bytes();
  }
  uint64_t want = 0;
  for (int k = 0; k < 8; k++)
    if (live[k].p) want += (live[k].n + PG - 1) / PG * PG;
  ck_assert_uint_eq(checked_large_bytes(), want);
  for (int k = 0; k < 8; k++) mp_shared_free(live[k].p, live[k].n);
  ck_assert_uint_eq(checked_large_bytes(), 0);
  mp_heap_stats st;
  mp_assert_ok(mp_heap_stats_get(&st));
  ck_assert_uint_le(st.used, st.size);
}
END_TEST

/* The pattern of the queue_frag: batches of 32 messages of 2 KiB..1 MiB put on a
 * queue and got back.  Uncoalesced, a 64 MiB heap failed a put after 760 messages. */
START_TEST(queue_of_large_messages_never_runs_out) {
  mp_assert_ok(mp_heap_configure((size_t)64 << 20));
  enum { BATCH = 32, MESSAGES = 2048, MAXLEN = 1 << 20 };
  mp_queue *q;
  mp_assert_ok(mp_queue_new(&q, 0));
  unsigned char *buf = malloc(MAXLEN);
  ck_assert_ptr_nonnull(buf);
  size_t want[BATCH];
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < MESSAGES; i += BATCH) {
    for (int b = 0; b < BATCH; b++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      want[b] = 2049 + (size_t)(x % (MAXLEN - 2049));
      buf[0] = (unsigned char)(i + b);
      int rc = mp_queue_put_bytes(q, buf, want[b], 0);
      ck_assert_msg(rc == 0, "put of %zu bytes failed with %s after %d messages", want[b],
                    mp_err_name(rc), i + b);
    }
    for (int b = 0; b < BATCH; b++) {
      size_t len = 0;
      mp_assert_ok(mp_queue_get_bytes(q, buf, MAXLEN, &len, 0));
      ck_assert_uint_eq(len, want[b]);
      ck_assert_int_eq(buf[0], (unsigned char)(i + b));
    }
  }
  mp_queue_free(q);
  free(buf);
  (void)checked_large_bytes();
}
END_TEST

/* ---- a process killed inside a page-run operation ---- */

typedef struct {
  int stop_at; /* mp__heap_test_pause_in_commit's after_writes */
  int notify_fd;
  char *block; /* what the child frees, or NULL: it allocates `pages` pages instead */
  size_t pages;
} stop_inside;

static int free_or_alloc_and_stop(void *arg) {
  stop_inside *s = arg;
  mp__heap_test_pause_in_commit(s->stop_at, s->notify_fd);
  if (s->block)
    mp_shared_free(s->block, s->pages * PG);
  else
    (void)mp_shared_alloc(s->pages * PG);
  return 1; /* not reached: the hook stops it */
}

/* Runs the child and kills it where it stopped; returns the take-overs counted meanwhile. */
static size_t kill_inside(stop_inside *s) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  s->notify_fd = fds[1];
  mp_heap_stats st;
  mp_assert_ok(mp_heap_stats_get(&st));
  size_t recoveries = st.recoveries;
  mp_process *p;
  mp_assert_ok(mp_process_new(&p, free_or_alloc_and_stop, s, NULL));
  mp_assert_ok(mp_process_start(p));
  char c;
  ck_assert_int_eq(read(fds[0], &c, 1), 1);
  mp_assert_ok(mp_process_kill(p));
  mp_assert_ok(mp_process_join(p, 10000));
  mp_process_free(p);
  close(fds[0]);
  close(fds[1]);
  /* The next caller takes the lock over and, if the log was committed, finishes the
   * operation before it looks at anything. */
  mp_assert_ok(mp_heap_stats_get(&st));
  ck_assert_uint_eq(st.recoveries, recoveries + 1);
  return st.recoveries;
}

/* The free that merges on both sides is the largest logged operation; it is killed before its
 * log is committed (the block stays allocated: leaked, still counted), and at several points
 * after (it is finished: the three runs are one and the bytes are no longer counted). */
START_TEST(killed_inside_merging_free) {
  mp_assert_ok(mp_heap_configure((size_t)16 << 20));
  static const int stops[] = {-1, 0, 1, 2, 4, 7, 10, 1000};
  for (size_t round = 0; round < sizeof stops / sizeof stops[0]; round++) {
    ck_assert_uint_eq(checked_large_bytes(), 0);
    char *b[4];
    for (int i = 0; i < 4; i++) ck_assert_ptr_nonnull(b[i] = mp_shared_alloc(4 * PG));
    for (int i = 1; i < 4; i++) ck_assert_ptr_eq(b[i], b[i - 1] + 4 * PG);
    mp_shared_free(b[0], 4 * PG);
    mp_shared_free(b[2], 4 * PG);
    mp_heap_stats before;
    mp_assert_ok(mp_heap_stats_get(&before));
    stop_inside s = {.stop_at = stops[round], .block = b[1], .pages = 4};
    kill_inside(&s);
    mp_heap_stats st;
    mp_assert_ok(mp_heap_stats_get(&st));
    bool committed = stops[round] >= 0;
    ck_assert_uint_eq(checked_large_bytes(), committed ? 4 * PG : 8 * PG);
    ck_assert_uint_eq(st.allocated, before.allocated - (committed ? 4 * PG : 0));
    /* The heap still allocates, and a finished free left one run of 12 pages. */
    char *merged = mp_shared_alloc(12 * PG);
    ck_assert_ptr_nonnull(merged);
    if (committed)
      ck_assert_ptr_eq(merged, b[0]);
    else
      ck_assert_ptr_ne(merged, b[0]);
    mp_shared_free(merged, 12 * PG);
    if (!committed) mp_shared_free(b[1], 4 * PG); /* the leaked block, by hand */
    mp_shared_free(b[3], 4 * PG);
    mp_assert_ok(mp_heap_stats_get(&st));
    ck_assert_uint_eq(st.allocated, before.allocated - 8 * PG);
  }
}
END_TEST

/* An allocation that splits a run, killed before and after its commit: the run is whole, or
 * the front pages are the dead process's and the rest is still a free run. */
START_TEST(killed_inside_splitting_alloc) {
  mp_assert_ok(mp_heap_configure((size_t)16 << 20));
  static const int stops[] = {-1, 0, 3, 1000};
  for (size_t round = 0; round < sizeof stops / sizeof stops[0]; round++) {
    char *run = mp_shared_alloc(12 * PG), *guard = mp_shared_alloc(PG * 2);
    ck_assert_ptr_nonnull(run);
    ck_assert_ptr_nonnull(guard);
    mp_shared_free(run, 12 * PG);
    mp_heap_stats before, st;
    mp_assert_ok(mp_heap_stats_get(&before));
    stop_inside s = {.stop_at = stops[round], .block = NULL, .pages = 2};
    kill_inside(&s);
    bool committed = stops[round] >= 0;
    mp_assert_ok(mp_heap_stats_get(&st));
    ck_assert_uint_eq(st.allocated, before.allocated + (committed ? 2 * PG : 0));
    ck_assert_uint_eq(checked_large_bytes(), committed ? 4 * PG : 2 * PG);
    char *rest = mp_shared_alloc(10 * PG);
    ck_assert_ptr_eq(rest, committed ? run + 2 * PG : run);
    mp_shared_free(rest, 10 * PG);
    if (committed) mp_shared_free(run, 2 * PG); /* the dead process's block */
    mp_shared_free(guard, 2 * PG);
    ck_assert_uint_eq(checked_large_bytes(), 0);
  }
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("heap");
  TCase *tc = mp_tcase("heap", 60);
  tcase_add_test(tc, alloc_free_basics);
  tcase_add_test(tc, configure_rules);
  tcase_add_test(tc, exhaustion_is_an_error);
#ifdef MP_TEST_RLIMIT_CASE
  tcase_add_test(tc, reservation_falls_back);
#endif
  tcase_add_test(tc, objects_after_fork_are_shared);
  tcase_add_test(tc, large_free_returns_memory);
  tcase_add_test(tc, killed_inside_allocator);
  tcase_add_test(tc, concurrent_churn_with_kills);
  tcase_add_test(tc, freed_runs_merge);
  tcase_add_test(tc, random_large_churn_never_runs_out);
  tcase_add_test(tc, queue_of_large_messages_never_runs_out);
  tcase_add_test(tc, killed_inside_merging_free);
  tcase_add_test(tc, killed_inside_splitting_alloc);
  suite_add_tcase(s, tc);
  return s;
}
