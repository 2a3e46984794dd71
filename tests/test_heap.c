/* test_heap.c -- the shared heap: sharing after fork, zeroed memory, size classes and pages,
 * exhaustion, returning memory, and surviving a process killed inside the allocator. */
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
      mp_assert_ok(mp_process_new(&worker[i], churn, (void *)(uintptr_t)(round * 10 + i + 1), NULL));
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
  suite_add_tcase(s, tc);
  return s;
}
