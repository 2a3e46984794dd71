/* SPDX-License-Identifier: MIT */
/* proxy_types.c -- typed shorthands over mp_proxy_call() for the built-in types: arguments
 * packed into a tuple, results unpacked, Python's True/False turned into 0 / an error code. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"
#include "os/os.h"

/* Calls method with n arguments.  Argument i is stolen when bit i of owned is set (a NULL
 * one then means a constructor ran out of memory), else borrowed (NULL is None). */
static int callo(mp_proxy *p, const char *method, mp_obj **out, unsigned owned, size_t n, ...) {
  mp_obj *items[4];
  bool nomem = false;
  mp__fail_clear();
  if (out != NULL) *out = NULL;
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) {
    mp_obj *a = va_arg(ap, mp_obj *);
    if (owned & (1u << i)) {
      nomem |= a == NULL;
      items[i] = a != NULL ? a : mp_obj_none();
    } else {
      items[i] = a != NULL ? mp_obj_incref(a) : mp_obj_none();
    }
  }
  va_end(ap);
  int made_errno = errno; /* what the failed constructor of an owned argument said */
  mp_obj *args = mp_obj_tuple_steal(n, items);
  if (args == NULL || nomem) {
    mp_obj_decref(args);
    if (nomem && made_errno == EILSEQ)
      return mp__fail(-EILSEQ, "%s: a name or string argument is not valid UTF-8", method);
    return -ENOMEM;
  }
  int rc = mp_proxy_call(p, method, args, out, mp_proxy_timeout(p));
  mp_obj_decref(args);
  return rc;
}
#define callv(p, m, out, ...) callo((p), (m), (out), 0u, __VA_ARGS__)

static int as_int(int rc, mp_obj *r, int64_t *out) {
  if (rc == 0 && mp_obj_get_int(r, out) != 0) rc = MP_ECORRUPT;
  mp_obj_decref(r);
  return rc;
}

/* A bool result as 1 / 0. */
static int as_bool(int rc, mp_obj *r) {
  bool b = false;
  if (rc == 0 && mp_obj_get_bool(r, &b) != 0) rc = MP_ECORRUPT;
  mp_obj_decref(r);
  return rc != 0 ? rc : b;
}

static mp_obj *timeout_obj(mp_timeout_ms t) {
  return t < 0 ? mp_obj_none() : mp_obj_float((double)t / 1000.0);
}

#define CK(x) ((mp_obj *)(uintptr_t)(x)) /* borrowed const arguments */

/* ---- dict ---- */
int mp_dict_proxy_set(mp_proxy *p, const mp_obj *k, const mp_obj *v) {
  if (k == NULL || v == NULL) return -EINVAL;
  return callv(p, "__setitem__", NULL, 2, CK(k), CK(v));
}
int mp_dict_proxy_get(mp_proxy *p, const mp_obj *k, mp_obj **out) {
  if (k == NULL || out == NULL) return -EINVAL;
  return callv(p, "__getitem__", out, 1, CK(k));
}
int mp_dict_proxy_get_default(mp_proxy *p, const mp_obj *k, const mp_obj *d, mp_obj **out) {
  if (k == NULL || out == NULL) return -EINVAL;
  return callv(p, "get", out, 2, CK(k), CK(d));
}
int mp_dict_proxy_del(mp_proxy *p, const mp_obj *k) {
  if (k == NULL) return -EINVAL;
  return callv(p, "__delitem__", NULL, 1, CK(k));
}
int mp_dict_proxy_len(mp_proxy *p, int64_t *out) {
  if (out == NULL) return -EINVAL;
  mp_obj *r;
  int crc = callv(p, "__len__", &r, 0);
  return as_int(crc, r, out);
}
int mp_dict_proxy_contains(mp_proxy *p, const mp_obj *k) {
  if (k == NULL) return -EINVAL;
  mp_obj *r;
  int crc = callv(p, "__contains__", &r, 1, CK(k));
  return as_bool(crc, r);
}
int mp_dict_proxy_keys(mp_proxy *p, mp_obj **out) {
  return out ? callv(p, "keys", out, 0) : -EINVAL;
}
int mp_dict_proxy_values(mp_proxy *p, mp_obj **out) {
  return out ? callv(p, "values", out, 0) : -EINVAL;
}
int mp_dict_proxy_items(mp_proxy *p, mp_obj **out) {
  return out ? callv(p, "items", out, 0) : -EINVAL;
}
int mp_dict_proxy_update(mp_proxy *p, const mp_obj *other) {
  if (other == NULL) return -EINVAL;
  return callv(p, "update", NULL, 1, CK(other));
}
int mp_dict_proxy_pop(mp_proxy *p, const mp_obj *k, mp_obj **out) {
  if (k == NULL) return -EINVAL;
  return callv(p, "pop", out, 1, CK(k));
}
int mp_dict_proxy_setdefault(mp_proxy *p, const mp_obj *k, const mp_obj *d, mp_obj **out) {
  if (k == NULL) return -EINVAL;
  return callv(p, "setdefault", out, 2, CK(k), CK(d));
}
int mp_dict_proxy_copy(mp_proxy *p, mp_obj **out) {
  return out ? callv(p, "copy", out, 0) : -EINVAL;
}
int mp_dict_proxy_clear(mp_proxy *p) { return callv(p, "clear", NULL, 0); }

/* ---- list ---- */
int mp_list_proxy_append(mp_proxy *p, const mp_obj *item) {
  if (item == NULL) return -EINVAL;
  return callv(p, "append", NULL, 1, CK(item));
}
int mp_list_proxy_extend(mp_proxy *p, const mp_obj *seq) {
  if (seq == NULL) return -EINVAL;
  return callv(p, "extend", NULL, 1, CK(seq));
}
int mp_list_proxy_get(mp_proxy *p, int64_t i, mp_obj **out) {
  if (out == NULL) return -EINVAL;
  return callo(p, "__getitem__", out, 1u, 1, mp_obj_int(i));
}
int mp_list_proxy_set(mp_proxy *p, int64_t i, const mp_obj *item) {
  if (item == NULL) return -EINVAL;
  return callo(p, "__setitem__", NULL, 1u, 2, mp_obj_int(i), CK(item));
}
int mp_list_proxy_len(mp_proxy *p, int64_t *out) {
  if (out == NULL) return -EINVAL;
  mp_obj *r;
  int crc = callv(p, "__len__", &r, 0);
  return as_int(crc, r, out);
}
int mp_list_proxy_slice(mp_proxy *p, int64_t start, int64_t stop, mp_obj **out) {
  if (out == NULL) return -EINVAL;
  return callo(p, "__getslice__", out, 3u, 2, mp_obj_int(start), mp_obj_int(stop));
}
int mp_list_proxy_pop(mp_proxy *p, int64_t i, mp_obj **out) {
  return callo(p, "pop", out, 1u, 1, mp_obj_int(i));
}
int mp_list_proxy_remove(mp_proxy *p, const mp_obj *item) {
  if (item == NULL) return -EINVAL;
  return callv(p, "remove", NULL, 1, CK(item));
}
int mp_list_proxy_index(mp_proxy *p, const mp_obj *item, int64_t *out) {
  if (item == NULL || out == NULL) return -EINVAL;
  mp_obj *r;
  int crc = callv(p, "index", &r, 1, CK(item));
  return as_int(crc, r, out);
}
int mp_list_proxy_count(mp_proxy *p, const mp_obj *item, int64_t *out) {
  if (item == NULL || out == NULL) return -EINVAL;
  mp_obj *r;
  int crc = callv(p, "count", &r, 1, CK(item));
  return as_int(crc, r, out);
}
int mp_list_proxy_insert(mp_proxy *p, int64_t i, const mp_obj *item) {
  if (item == NULL) return -EINVAL;
  return callo(p, "insert", NULL, 1u, 2, mp_obj_int(i), CK(item));
}
int mp_list_proxy_sort(mp_proxy *p, bool reverse) {
  return callv(p, "sort", NULL, 1, mp_obj_bool(reverse));
}

/* ---- Namespace ---- */
int mp_ns_proxy_get(mp_proxy *p, const char *name, mp_obj **out) {
  if (name == NULL || out == NULL) return -EINVAL;
  return callo(p, "__getattribute__", out, 1u, 1, mp_obj_str(name));
}
int mp_ns_proxy_set(mp_proxy *p, const char *name, const mp_obj *v) {
  if (name == NULL || v == NULL) return -EINVAL;
  return callo(p, "__setattr__", NULL, 1u, 2, mp_obj_str(name), CK(v));
}
int mp_ns_proxy_del(mp_proxy *p, const char *name) {
  if (name == NULL) return -EINVAL;
  return callo(p, "__delattr__", NULL, 1u, 1, mp_obj_str(name));
}

/* ---- Value and Array ---- */
int mp_value_proxy_get(mp_proxy *p, mp_obj **out) {
  return out ? callv(p, "get", out, 0) : -EINVAL;
}
int mp_value_proxy_set(mp_proxy *p, const mp_obj *v) {
  if (v == NULL) return -EINVAL;
  return callv(p, "set", NULL, 1, CK(v));
}
int mp_array_proxy_len(mp_proxy *p, int64_t *out) {
  if (out == NULL) return -EINVAL;
  mp_obj *r;
  int crc = callv(p, "__len__", &r, 0);
  return as_int(crc, r, out);
}
int mp_array_proxy_get(mp_proxy *p, int64_t i, mp_obj **out) {
  if (out == NULL) return -EINVAL;
  return callo(p, "__getitem__", out, 1u, 1, mp_obj_int(i));
}
int mp_array_proxy_set(mp_proxy *p, int64_t i, const mp_obj *v) {
  if (v == NULL) return -EINVAL;
  return callo(p, "__setitem__", NULL, 1u, 2, mp_obj_int(i), CK(v));
}

/* ---- Queue ---- */
int mp_queue_proxy_put(mp_proxy *p, const mp_obj *item, mp_timeout_ms t) {
  if (item == NULL) return -EINVAL;
  return callo(p, "put", NULL, 4u, 3, CK(item), mp_obj_bool(t != 0), timeout_obj(t));
}
int mp_queue_proxy_get(mp_proxy *p, mp_obj **out, mp_timeout_ms t) {
  if (out == NULL) return -EINVAL;
  return callo(p, "get", out, 2u, 2, mp_obj_bool(t != 0), timeout_obj(t));
}
int mp_queue_proxy_qsize(mp_proxy *p, int64_t *out) {
  if (out == NULL) return -EINVAL;
  mp_obj *r;
  int crc = callv(p, "qsize", &r, 0);
  return as_int(crc, r, out);
}
int mp_queue_proxy_empty(mp_proxy *p) {
  mp_obj *r;
  int crc = callv(p, "empty", &r, 0);
  return as_bool(crc, r);
}
int mp_queue_proxy_full(mp_proxy *p) {
  mp_obj *r;
  int crc = callv(p, "full", &r, 0);
  return as_bool(crc, r);
}
int mp_queue_proxy_task_done(mp_proxy *p) { return callv(p, "task_done", NULL, 0); }
int mp_queue_proxy_join(mp_proxy *p, mp_timeout_ms t) {
  mp_obj *r;
  int crc = callo(p, "join", &r, 1u, 1, timeout_obj(t));
  int rc = as_bool(crc, r);
  return rc == 1 ? 0 : rc == 0 ? MP_ETIMEDOUT : rc;
}

/* ---- acquirers, Condition, Event, Barrier ---- */
int mp_lock_proxy_acquire(mp_proxy *p, mp_timeout_ms t) {
  mp_obj *r;
  mp_obj *tmo = t < 0 ? mp_obj_int(-1) : mp_obj_float((double)t / 1000.0);
  int crc = callo(p, "acquire", &r, 2u, 2, mp_obj_bool(true), tmo);
  int rc = as_bool(crc, r);
  return rc == 1 ? 0 : rc == 0 ? MP_ETIMEDOUT : rc;
}
int mp_lock_proxy_release(mp_proxy *p) { return callv(p, "release", NULL, 0); }
int mp_condition_proxy_wait(mp_proxy *p, mp_timeout_ms t) {
  mp_obj *r;
  int crc = callo(p, "wait", &r, 1u, 1, timeout_obj(t));
  int rc = as_bool(crc, r);
  return rc == 1 ? 0 : rc == 0 ? MP_ETIMEDOUT : rc;
}
int mp_condition_proxy_notify(mp_proxy *p, int n) {
  if (n < 0) return -EINVAL;
  return callo(p, "notify", NULL, 1u, 1, mp_obj_int(n));
}
int mp_condition_proxy_wait_for(mp_proxy *p, bool (*pred)(void *), void *arg,
                                mp_timeout_ms timeout) {
  if (p == NULL || pred == NULL) return -EINVAL;
  mp__deadline d = mp__deadline_in(timeout);
  while (!pred(arg)) {
    if (mp__deadline_passed(d)) return MP_ETIMEDOUT;
    mp_timeout_ms left = mp__deadline_forever(d) ? MP_FOREVER : mp__deadline_poll_ms(d);
    int rc = mp_condition_proxy_wait(p, left);
    if (rc != 0 && rc != MP_ETIMEDOUT) return rc;
  }
  return 0;
}
int mp_condition_proxy_notify_all(mp_proxy *p) { return callv(p, "notify_all", NULL, 0); }
int mp_event_proxy_set(mp_proxy *p) { return callv(p, "set", NULL, 0); }
int mp_event_proxy_clear(mp_proxy *p) { return callv(p, "clear", NULL, 0); }
int mp_event_proxy_is_set(mp_proxy *p) {
  mp_obj *r;
  int crc = callv(p, "is_set", &r, 0);
  return as_bool(crc, r);
}
int mp_event_proxy_wait(mp_proxy *p, mp_timeout_ms t) {
  mp_obj *r;
  int crc = callo(p, "wait", &r, 1u, 1, timeout_obj(t));
  int rc = as_bool(crc, r);
  return rc == 1 ? 0 : rc == 0 ? MP_ETIMEDOUT : rc;
}
int mp_barrier_proxy_wait(mp_proxy *p, mp_timeout_ms t) {
  mp_obj *r;
  int64_t i = 0;
  int crc = callo(p, "wait", &r, 1u, 1, timeout_obj(t));
  int rc = as_int(crc, r, &i);
  return rc != 0 ? rc : (int)i;
}
int mp_barrier_proxy_abort(mp_proxy *p) { return callv(p, "abort", NULL, 0); }
int mp_barrier_proxy_reset(mp_proxy *p) { return callv(p, "reset", NULL, 0); }
static int int_result(mp_proxy *p, const char *m) {
  mp_obj *r;
  int64_t i = 0;
  int crc = callv(p, m, &r, 0);
  int rc = as_int(crc, r, &i);
  return rc != 0 ? rc : (int)i;
}
int mp_barrier_proxy_n_waiting(mp_proxy *p) { return int_result(p, "n_waiting"); }
int mp_barrier_proxy_parties(mp_proxy *p) { return int_result(p, "parties"); }
int mp_barrier_proxy_broken(mp_proxy *p) {
  mp_obj *r;
  int crc = callv(p, "broken", &r, 0);
  return as_bool(crc, r);
}

/* ---- creation shorthands ---- */
static int create1(mp_manager *m, const char *typeid, mp_obj *arg, mp_proxy **out) {
  /* arg is owned (NULL: no arguments) */
  mp_obj *args = arg != NULL ? mp_obj_tuple_steal(1, &arg) : NULL;
  if (arg != NULL && args == NULL) return -ENOMEM;
  int rc = mp_manager_create(m, typeid, args, out);
  mp_obj_decref(args);
  return rc;
}
int mp_manager_dict(mp_manager *m, const mp_obj *init, mp_proxy **out) {
  return create1(m, "dict", init ? mp_obj_incref(CK(init)) : NULL, out);
}
int mp_manager_list(mp_manager *m, const mp_obj *init, mp_proxy **out) {
  return create1(m, "list", init ? mp_obj_incref(CK(init)) : NULL, out);
}
int mp_manager_namespace(mp_manager *m, mp_proxy **out) {
  return create1(m, "Namespace", NULL, out);
}
static int create_tc(mp_manager *m, const char *typeid, char tc, const mp_obj *v, mp_proxy **out) {
  if (v == NULL) return -EINVAL;
  char s[2] = {tc, 0};
  mp_obj *args = mp_obj_tuple2_steal(mp_obj_str(s), mp_obj_incref(CK(v)));
  if (args == NULL) return -ENOMEM;
  int rc = mp_manager_create(m, typeid, args, out);
  mp_obj_decref(args);
  return rc;
}
int mp_manager_value(mp_manager *m, char tc, const mp_obj *v, mp_proxy **out) {
  return create_tc(m, "Value", tc, v, out);
}
int mp_manager_array(mp_manager *m, char tc, const mp_obj *seq, mp_proxy **out) {
  mp__fail_clear();
  /* Python's manager makes an array.array, which refuses other typecodes (its Value stores
   * any); asked before any round trip, and the server checks again for remote clients. */
  if (tc == 0 || strchr(MP__MGR_ARRAY_TYPECODES, tc) == NULL)
    return mp__fail(-EINVAL, "Array: '%c' (0x%02x) is not an array typecode (one of \"%s\")",
                    tc >= 0x20 && tc < 0x7f ? tc : '?', (unsigned char)tc, MP__MGR_ARRAY_TYPECODES);
  return create_tc(m, "Array", tc, seq, out);
}
int mp_manager_queue(mp_manager *m, size_t maxsize, mp_proxy **out) {
  return create1(m, "Queue", mp_obj_int((int64_t)maxsize), out);
}
int mp_manager_joinable_queue(mp_manager *m, size_t maxsize, mp_proxy **out) {
  return create1(m, "JoinableQueue", mp_obj_int((int64_t)maxsize), out);
}
int mp_manager_lock(mp_manager *m, mp_proxy **out) { return create1(m, "Lock", NULL, out); }
int mp_manager_rlock(mp_manager *m, mp_proxy **out) { return create1(m, "RLock", NULL, out); }
int mp_manager_semaphore(mp_manager *m, unsigned value, mp_proxy **out) {
  return create1(m, "Semaphore", mp_obj_int(value), out);
}
int mp_manager_bounded_semaphore(mp_manager *m, unsigned value, mp_proxy **out) {
  return create1(m, "BoundedSemaphore", mp_obj_int(value), out);
}
int mp_manager_condition(mp_manager *m, mp_proxy **out) {
  return create1(m, "Condition", NULL, out);
}
int mp_manager_event(mp_manager *m, mp_proxy **out) { return create1(m, "Event", NULL, out); }
int mp_manager_barrier(mp_manager *m, unsigned parties, mp_proxy **out) {
  return create1(m, "Barrier", mp_obj_int(parties), out);
}
