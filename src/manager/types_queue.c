/* SPDX-License-Identifier: MIT */
/* types_queue.c -- the manager's Queue and JoinableQueue: a FIFO of values in the server,
 * with blocking put/get that wait on the object's condition variable (in slices, so a caller
 * that leaves or a server that stops is noticed), and task_done/join. */
#include <stdlib.h>

#include "manager/mgr_internal.h"

typedef struct mq {
  mp_obj *items; /* a list, oldest first */
  int64_t maxsize; /* <= 0: unbounded */
  int64_t unfinished;
  bool joinable;
} mq;

#define Q(o) ((mq *)(o)->data)

static int make(mgr_call *c, const mp_obj *args, void **data, bool joinable) {
  int rc = mp__mgr_need_args(c, args, 0, 1, "Queue()");
  int64_t maxsize;
  if (rc == 0) rc = mp__mgr_arg_int(c, args, 0, 0, &maxsize);
  if (rc != 0) return rc;
  mq *q = calloc(1, sizeof *q);
  if (q == NULL || (q->items = mp_obj_list()) == NULL) {
    free(q);
    return -ENOMEM;
  }
  q->maxsize = maxsize;
  q->joinable = joinable;
  *data = q;
  return 0;
}
static int queue_create(mgr_call *c, const mp_obj *a, void **d) { return make(c, a, d, false); }
static int jqueue_create(mgr_call *c, const mp_obj *a, void **d) { return make(c, a, d, true); }

static void queue_destroy(void *data) {
  mq *q = data;
  mp_obj_decref(q->items);
  free(q);
}

static bool full(mq *q) { return q->maxsize > 0 && (int64_t)mp_obj_len(q->items) >= q->maxsize; }

/* put(item, block=True, timeout=None) */
static int put_common(mgr_call *c, mgr_obj *o, const mp_obj *item, bool block, mp__deadline d) {
  mq *q = Q(o);
  pthread_mutex_lock(&o->mu);
  int rc = 0;
  while (full(q) && rc == 0) {
    if (!block)
      rc = MP_ETIMEDOUT;
    else
      rc = mp__mgr_obj_wait(c, o, d);
  }
  if (rc == 0) rc = mp_obj_list_append(q->items, (mp_obj *)(uintptr_t)item);
  if (rc == 0) {
    q->unfinished++;
    pthread_cond_broadcast(&o->cv);
  }
  pthread_mutex_unlock(&o->mu);
  if (rc == MP_ETIMEDOUT) return mp_manager_error(c, MP_EFULL, "queue.Full");
  return rc;
}

static int q_put(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  bool block;
  mp__deadline d;
  int rc = mp__mgr_need_args(c, a, 1, 3, "put");
  if (rc == 0) rc = mp__mgr_arg_bool(c, a, 1, true, &block);
  if (rc == 0) rc = mp__mgr_arg_timeout(c, a, 2, &d);
  return rc ? rc : put_common(c, o, mp__mgr_arg(a, 0), block, d);
}

static int q_put_nowait(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 1, 1, "put_nowait");
  return rc ? rc : put_common(c, o, mp__mgr_arg(a, 0), false, mp__deadline_in(0));
}

static int get_common(mgr_call *c, mgr_obj *o, bool block, mp__deadline d, mp_obj **res) {
  mq *q = Q(o);
  pthread_mutex_lock(&o->mu);
  int rc = 0;
  while (mp_obj_len(q->items) == 0 && rc == 0) {
    if (!block)
      rc = MP_ETIMEDOUT;
    else
      rc = mp__mgr_obj_wait(c, o, d);
  }
  if (rc == 0) {
    rc = mp_obj_list_pop(q->items, 0, res);
    pthread_cond_broadcast(&o->cv);
  }
  pthread_mutex_unlock(&o->mu);
  if (rc == MP_ETIMEDOUT) return mp_manager_error(c, MP_EEMPTY, "queue.Empty");
  return rc;
}

static int q_get(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  bool block;
  mp__deadline d;
  int rc = mp__mgr_need_args(c, a, 0, 2, "get");
  if (rc == 0) rc = mp__mgr_arg_bool(c, a, 0, true, &block);
  if (rc == 0) rc = mp__mgr_arg_timeout(c, a, 1, &d);
  return rc ? rc : get_common(c, o, block, d, res);
}

static int q_get_nowait(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "get_nowait");
  return rc ? rc : get_common(c, o, false, mp__deadline_in(0), res);
}

static int q_qsize(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "qsize");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  *res = mp_obj_int((int64_t)mp_obj_len(Q(o)->items));
  pthread_mutex_unlock(&o->mu);
  return *res ? 0 : -ENOMEM;
}

static int q_empty(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "empty");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  *res = mp_obj_bool(mp_obj_len(Q(o)->items) == 0);
  pthread_mutex_unlock(&o->mu);
  return 0;
}

static int q_full(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "full");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  *res = mp_obj_bool(full(Q(o)));
  pthread_mutex_unlock(&o->mu);
  return 0;
}

static int q_task_done(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 0, 0, "task_done");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  if (Q(o)->unfinished <= 0) {
    rc = mp_manager_error(c, -EOVERFLOW, "ValueError: task_done() called too many times");
  } else if (--Q(o)->unfinished == 0) {
    pthread_cond_broadcast(&o->cv);
  }
  pthread_mutex_unlock(&o->mu);
  return rc;
}

/* join([timeout]): True once every task is done, False when the timeout passed. */
static int q_join(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  mp__deadline d;
  int rc = mp__mgr_need_args(c, a, 0, 1, "join");
  if (rc == 0) rc = mp__mgr_arg_timeout(c, a, 0, &d);
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  while (Q(o)->unfinished > 0 && rc == 0) rc = mp__mgr_obj_wait(c, o, d);
  pthread_mutex_unlock(&o->mu);
  if (rc == MP_ETIMEDOUT)
    rc = 0, *res = mp_obj_bool(false);
  else if (rc == 0)
    *res = mp_obj_bool(true);
  return rc;
}

static const mgr_method queue_methods[] = {
    {"put", q_put},
    {"get", q_get},
    {"put_nowait", q_put_nowait},
    {"get_nowait", q_get_nowait},
    {"qsize", q_qsize},
    {"empty", q_empty},
    {"full", q_full},
};

static const mgr_method jqueue_methods[] = {
    {"put", q_put},
    {"get", q_get},
    {"put_nowait", q_put_nowait},
    {"get_nowait", q_get_nowait},
    {"qsize", q_qsize},
    {"empty", q_empty},
    {"full", q_full},
    {"task_done", q_task_done},
    {"join", q_join},
};

const mgr_type mp__mgr_type_queue = {.name = "Queue",
                                     .create = queue_create,
                                     .destroy = queue_destroy,
                                     .methods = queue_methods,
                                     .nmethods = MP__ARRAY_LEN(queue_methods),
                                     .self_locking = true};
const mgr_type mp__mgr_type_joinable_queue = {.name = "JoinableQueue",
                                              .create = jqueue_create,
                                              .destroy = queue_destroy,
                                              .methods = jqueue_methods,
                                              .nmethods = MP__ARRAY_LEN(jqueue_methods),
                                              .self_locking = true};
