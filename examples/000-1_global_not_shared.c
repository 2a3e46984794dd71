/* SPDX-License-Identifier: MIT */
/* 000-1_global_not_shared.c -- twin of the first program of seed 000 (section 1).
 *
 * A child's changes to a global stay in the child: fork gives it a copy of the parent's
 * memory, so the child appends the squares to its own copy of result and prints
 * [1, 4, 9, 16], while the parent's result is still empty after the join.
 */
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>

static int result[16]; /* the global list: a fixed array and its length */
static int result_len;

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static void print_list(const char *label, const int *v, int n) {
  printf("%s: [", label);
  for (int i = 0; i < n; i++) printf("%s%d", i ? ", " : "", v[i]);
  printf("]\n");
}

static int square_list(void *arg) {
  const int *mylist = arg;
  for (int i = 0; i < 4; i++) result[result_len++] = mylist[i] * mylist[i];
  print_list("Result(in process p1)", result, result_len);
  return 0;
}

int main(void) {
  int mylist[4] = {1, 2, 3, 4};
  mp_process *p1;
  check(mp_process_new(&p1, square_list, mylist, NULL), "mp_process_new");
  check(mp_process_start(p1), "mp_process_start");
  check(mp_process_join(p1, MP_FOREVER), "mp_process_join");
  print_list("Result(in main program)", result, result_len);
  mp_process_free(p1);
  return 0;
}
