/* SPDX-License-Identifier: MIT */
/* 000-2_value_array.c -- twin of the Array/Value program of seed 000 (section 1.1).
 *
 * Array('i', 4) and Value('i') live in shared memory, so what the child writes is what the
 * parent reads after the join: both print [1, 4, 9, 16] and 30.
 */
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

typedef struct {
  const int *mylist;
  mp_array *result;
  mp_value *square_sum;
} args;

static void print_result(const char *who, mp_array *result, mp_value *square_sum) {
  int v[4];
  int64_t sum;
  check(mp_array_read(result, 0, 4, v), "mp_array_read"); /* result[:] */
  check(mp_value_get_i64(square_sum, &sum), "mp_value_get_i64");
  printf("Result(in %s): [%d, %d, %d, %d]\n", who, v[0], v[1], v[2], v[3]);
  printf("Sum of squares(in %s): %lld\n", who, (long long)sum);
}

static int square_list(void *arg) {
  args *a = arg;
  int64_t sum = 0;
  for (int i = 0; i < 4; i++) {
    check(mp_array_set_i64(a->result, (size_t)i, a->mylist[i] * a->mylist[i]), "set");
    sum += a->mylist[i] * a->mylist[i];
  }
  check(mp_value_set_i64(a->square_sum, sum), "mp_value_set_i64");
  print_result("process p1", a->result, a->square_sum);
  return 0;
}

int main(void) {
  int mylist[4] = {1, 2, 3, 4};
  args a = {mylist, NULL, NULL};
  check(mp_array_new(&a.result, 'i', 4, NULL, NULL), "mp_array_new"); /* Array('i', 4) */
  check(mp_value_new(&a.square_sum, 'i', NULL, NULL), "mp_value_new"); /* Value('i') */

  mp_process *p1;
  check(mp_process_new(&p1, square_list, &a, NULL), "mp_process_new");
  check(mp_process_start(p1), "mp_process_start");
  check(mp_process_join(p1, MP_FOREVER), "mp_process_join");
  print_result("main program", a.result, a.square_sum);

  mp_process_free(p1);
  mp_array_free(a.result);
  mp_value_free(a.square_sum);
  return 0;
}
