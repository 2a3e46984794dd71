/* SPDX-License-Identifier: MIT */
/* 000-3_manager_records.c -- twin of seed 000 §1.2: a Manager holds a list of (name, score)
 * records in its server process; p1 appends ('Jeff', 8) through the list's proxy, then p2
 * prints every record.
 *
 * Python's `with multiprocessing.Manager() as manager` is mp_manager_new + mp_manager_start,
 * and mp_manager_free at the end of the block (which shuts the server down).  The proxy is
 * inherited by both children through fork, as Python's proxies are passed in args.
 */
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s (%s)\n", what, mp_strerror(rc), mp_manager_errmsg());
    exit(1);
  }
}

typedef struct {
  mp_obj *record;
  mp_proxy *records;
} insert_args;

static int print_records(void *arg) {
  mp_proxy *records = arg;
  int64_t n;
  check(mp_list_proxy_len(records, &n), "len(records)");
  for (int64_t i = 0; i < n; i++) {
    mp_obj *record;
    check(mp_list_proxy_get(records, i, &record), "records[i]");
    size_t len;
    const char *name = mp_obj_str_data(mp_obj_item(record, 0), &len);
    int64_t score = 0;
    mp_obj_get_int(mp_obj_item(record, 1), &score);
    printf("Name: %s\nScore: %lld\n\n", name, (long long)score);
    mp_obj_decref(record);
  }
  return 0;
}

static int insert_record(void *arg) {
  insert_args *a = arg;
  check(mp_list_proxy_append(a->records, a->record), "records.append");
  printf("New record added!\n\n");
  return 0;
}

static mp_obj *rec(const char *name, int score) {
  return mp_obj_tuple2_steal(mp_obj_str(name), mp_obj_int(score));
}

int main(void) {
  mp_manager *manager;
  check(mp_manager_new(&manager, NULL), "Manager");
  check(mp_manager_start(manager), "Manager.start");
  /* creating a list in server process memory */
  mp_obj *init = mp_obj_list();
  mp_obj_list_append_steal(init, rec("Sam", 10));
  mp_obj_list_append_steal(init, rec("Adam", 9));
  mp_obj_list_append_steal(init, rec("Kevin", 9));
  mp_proxy *records;
  check(mp_manager_list(manager, init, &records), "manager.list");
  mp_obj_decref(init);
  /* new record to be inserted in records */
  insert_args a = {rec("Jeff", 8), records};

  /* creating new processes */
  mp_process *p1, *p2;
  check(mp_process_new(&p1, insert_record, &a, NULL), "Process p1");
  check(mp_process_new(&p2, print_records, records, NULL), "Process p2");
  /* running process p1 to insert new record */
  check(mp_process_start(p1), "p1.start");
  check(mp_process_join(p1, MP_FOREVER), "p1.join");
  /* running process p2 to print records */
  check(mp_process_start(p2), "p2.start");
  check(mp_process_join(p2, MP_FOREVER), "p2.join");

  mp_process_free(p1);
  mp_process_free(p2);
  mp_obj_decref(a.record);
  mp_proxy_free(records);
  mp_manager_free(manager); /* the end of the with block: shutdown */
  return 0;
}
