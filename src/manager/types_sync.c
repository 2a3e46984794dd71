/* SPDX-License-Identifier: MIT */
/* types_sync.c -- the manager's Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event
 * and Barrier: state under the object's mutex, waits on its condition variable in slices (a
 * caller that leaves or a server that stops is noticed).  An RLock or Condition belongs to the
 * calling thread of the client (its pid and tid travel with every request), as Python's
 * server threads make it belong to the client's thread. */
#include <stdlib.h>

#include "manager/mgr_internal.h"

typedef struct waiter {
  bool notified;
  struct waiter *next;
} waiter;

typedef struct msync {
  int64_t value; /* Lock: 1 locked; Semaphore: the value; Event: the flag */
  int64_t initial; /* BoundedSemaphore: the bound; Barrier: the parties */
  bool bounded;
  uint64_t owner; /* RLock/Condition: the owning caller, 0 when free */
  int64_t count; /* RLock/Condition: depth; Barrier: arrivals this cycle */
  waiter *waiters; /* Condition: oldest first */
  uint64_t gen; /* Barrier: trips so far */
  uint64_t resets; /* Barrier: resets so far */
  bool broken; /* Barrier */
} msync;

#define S(o) ((msync *)(o)->data)

static void sync_destroy(void *data) { free(data); }

static int sync_new(void **data, int64_t value, int64_t initial, bool bounded) {
  msync *s = calloc(1, sizeof *s);
  if (s == NULL) return -ENOMEM;
  s->value = value;
  s->initial = initial;
  s->bounded = bounded;
  *data = s;
  return 0;
}

/* acquire(blocking=True, timeout=-1): a deadline from Python's arguments. */
static int acquire_args(mgr_call *c, const mp_obj *a, mp__deadline *d) {
  bool block;
  int rc = mp__mgr_need_args(c, a, 0, 2, "acquire");
  if (rc == 0) rc = mp__mgr_arg_bool(c, a, 0, true, &block);
  if (rc == 0) rc = mp__mgr_arg_timeout(c, a, 1, d);
  if (rc == 0 && !block) *d = mp__deadline_in(0);
  return rc;
}

/* Waits (o->mu held) until ready(s, c) or the deadline: 1 when ready, 0 on timeout, or an
 * error code. */
static int wait_until(mgr_call *c, mgr_obj *o, mp__deadline d, bool (*ready)(msync *, mgr_call *)) {
  for (;;) {
    if (ready(S(o), c)) return 1;
    int rc = mp__mgr_obj_wait(c, o, d);
    if (rc == MP_ETIMEDOUT) return ready(S(o), c) ? 1 : 0;
    if (rc != 0) return rc;
  }
}

static int bool_result(int r, mp_obj **res) {
  if (r < 0) return r;
  *res = mp_obj_bool(r == 1);
  return 0;
}

/* ---- Lock ---- */
static int lock_create(mgr_call *c, const mp_obj *a, void **d) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "Lock()");
  return rc ? rc : sync_new(d, 0, 0, false);
}
static bool lock_free(msync *s, mgr_call *c) {
  (void)c;
  return s->value == 0;
}
static int lk_acquire(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  mp__deadline d;
  int rc = acquire_args(c, a, &d);
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  int r = wait_until(c, o, d, lock_free);
  if (r == 1) S(o)->value = 1;
  pthread_mutex_unlock(&o->mu);
  return bool_result(r, res);
}
static int lk_release(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 0, 0, "release");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  if (S(o)->value == 0) rc = mp_manager_error(c, MP_ESTATE, "RuntimeError: release unlocked lock");
  S(o)->value = 0;
  pthread_cond_broadcast(&o->cv);
  pthread_mutex_unlock(&o->mu);
  return rc;
}
static const mgr_method lock_methods[] = {{"acquire", lk_acquire}, {"release", lk_release}};
const mgr_type mp__mgr_type_lock = {.name = "Lock",
                                    .create = lock_create,
                                    .destroy = sync_destroy,
                                    .methods = lock_methods,
                                    .nmethods = 2,
                                    .self_locking = true};

/* ---- RLock (and the lock half of Condition) ---- */
static bool rlock_free(msync *s, mgr_call *c) { return s->owner == 0 || s->owner == c->caller; }
static int rl_acquire(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  mp__deadline d;
  int rc = acquire_args(c, a, &d);
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  int r = wait_until(c, o, d, rlock_free);
  if (r == 1) {
    S(o)->owner = c->caller;
    S(o)->count++;
  }
  pthread_mutex_unlock(&o->mu);
  return bool_result(r, res);
}
static int rl_release(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 0, 0, "release");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  if (S(o)->owner != c->caller || S(o)->count == 0) {
    rc = mp_manager_error(c, MP_ESTATE, "RuntimeError: cannot release un-acquired lock");
  } else if (--S(o)->count == 0) {
    S(o)->owner = 0;
    pthread_cond_broadcast(&o->cv);
  }
  pthread_mutex_unlock(&o->mu);
  return rc;
}
static int rlock_create(mgr_call *c, const mp_obj *a, void **d) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "RLock()");
  return rc ? rc : sync_new(d, 0, 0, false);
}
static const mgr_method rlock_methods[] = {{"acquire", rl_acquire}, {"release", rl_release}};
const mgr_type mp__mgr_type_rlock = {.name = "RLock",
                                     .create = rlock_create,
                                     .destroy = sync_destroy,
                                     .methods = rlock_methods,
                                     .nmethods = 2,
                                     .self_locking = true};

/* ---- Semaphore, BoundedSemaphore ---- */
static int sem_make(mgr_call *c, const mp_obj *a, void **d, bool bounded) {
  int64_t v;
  int rc = mp__mgr_need_args(c, a, 0, 1, "Semaphore()");
  if (rc == 0) rc = mp__mgr_arg_int(c, a, 0, 1, &v);
  if (rc == 0 && v < 0)
    rc = mp_manager_error(c, -EINVAL, "ValueError: semaphore initial value must be >= 0");
  return rc ? rc : sync_new(d, v, v, bounded);
}
static int sem_create(mgr_call *c, const mp_obj *a, void **d) { return sem_make(c, a, d, false); }
static int bsem_create(mgr_call *c, const mp_obj *a, void **d) { return sem_make(c, a, d, true); }
static bool sem_ready(msync *s, mgr_call *c) {
  (void)c;
  return s->value > 0;
}
static int sem_acquire(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  mp__deadline d;
  int rc = acquire_args(c, a, &d);
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  int r = wait_until(c, o, d, sem_ready);
  if (r == 1) S(o)->value--;
  pthread_mutex_unlock(&o->mu);
  return bool_result(r, res);
}
static int sem_release(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int64_t n;
  int rc = mp__mgr_need_args(c, a, 0, 1, "release");
  if (rc == 0) rc = mp__mgr_arg_int(c, a, 0, 1, &n);
  if (rc == 0 && n < 1) rc = mp_manager_error(c, -EINVAL, "ValueError: n must be one or more");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  if (S(o)->bounded && S(o)->value + n > S(o)->initial) {
    rc = mp_manager_error(c, -EOVERFLOW, "ValueError: Semaphore released too many times");
  } else {
    S(o)->value += n;
    pthread_cond_broadcast(&o->cv);
  }
  pthread_mutex_unlock(&o->mu);
  return rc;
}
static int sem_value(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "get_value");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  *res = mp_obj_int(S(o)->value);
  pthread_mutex_unlock(&o->mu);
  return *res ? 0 : -ENOMEM;
}
static const mgr_method sem_methods[] = {
    {"acquire", sem_acquire}, {"release", sem_release}, {"get_value", sem_value}};
const mgr_type mp__mgr_type_semaphore = {.name = "Semaphore",
                                         .create = sem_create,
                                         .destroy = sync_destroy,
                                         .methods = sem_methods,
                                         .nmethods = 3,
                                         .self_locking = true};
const mgr_type mp__mgr_type_bounded_semaphore = {.name = "BoundedSemaphore",
                                                 .create = bsem_create,
                                                 .destroy = sync_destroy,
                                                 .methods = sem_methods,
                                                 .nmethods = 3,
                                                 .self_locking = true};

/* ---- Condition: an RLock plus a queue of waiters, notified oldest first ---- */
static int cond_create(mgr_call *c, const mp_obj *a, void **d) {
  int rc = mp__mgr_need_args(c, a, 0, 1, "Condition()");
  if (rc == 0 && mp__mgr_arg(a, 0) != NULL && mp_obj_type_of(mp__mgr_arg(a, 0)) != MP_OBJ_NONE)
    rc = mp_manager_error(c, -EINVAL,
                          "Condition(lock): only the Condition's own RLock is supported");
  return rc ? rc : sync_new(d, 0, 0, false);
}
static bool cond_lock_free(msync *s, mgr_call *c) {
  (void)c;
  return s->owner == 0;
}
static int cv_wait(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  mp__deadline d;
  int rc = mp__mgr_need_args(c, a, 0, 1, "wait");
  if (rc == 0) rc = mp__mgr_arg_timeout(c, a, 0, &d);
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  msync *s = S(o);
  if (s->owner != c->caller) {
    pthread_mutex_unlock(&o->mu);
    return mp_manager_error(c, MP_ESTATE, "RuntimeError: cannot wait on un-acquired lock");
  }
  int64_t depth = s->count;
  s->owner = 0;
  s->count = 0;
  waiter w = {false, NULL};
  waiter **pp = &s->waiters;
  while (*pp != NULL) pp = &(*pp)->next;
  *pp = &w;
  pthread_cond_broadcast(&o->cv);
  int r = 0;
  while (!w.notified && r == 0) r = mp__mgr_obj_wait(c, o, d);
  if (!w.notified) { /* timed out or cancelled: leave the queue */
    for (pp = &s->waiters; *pp != NULL; pp = &(*pp)->next)
      if (*pp == &w) {
        *pp = w.next;
        break;
      }
  }
  /* Re-acquire the lock at the same depth, whatever happened (Python does too), unless the
   * caller has gone. */
  int r2 = 0;
  while (s->owner != 0 && r2 == 0) r2 = mp__mgr_obj_wait(c, o, mp__deadline_in(MP_FOREVER));
  if (r2 == 0) {
    s->owner = c->caller;
    s->count = depth;
  }
  pthread_mutex_unlock(&o->mu);
  if (r2 != 0) return r2;
  if (r != 0 && r != MP_ETIMEDOUT) return r;
  *res = mp_obj_bool(w.notified);
  return 0;
}
static int notify_n(mgr_call *c, mgr_obj *o, int64_t n) {
  msync *s = S(o);
  if (s->owner != c->caller)
    return mp_manager_error(c, MP_ESTATE, "RuntimeError: cannot notify on un-acquired lock");
  while (n-- > 0 && s->waiters != NULL) {
    waiter *w = s->waiters;
    s->waiters = w->next;
    w->notified = true;
  }
  pthread_cond_broadcast(&o->cv);
  return 0;
}
static int cv_notify(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int64_t n;
  int rc = mp__mgr_need_args(c, a, 0, 1, "notify");
  if (rc == 0) rc = mp__mgr_arg_int(c, a, 0, 1, &n);
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  rc = notify_n(c, o, n);
  pthread_mutex_unlock(&o->mu);
  return rc;
}
static int cv_notify_all(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 0, 0, "notify_all");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  rc = notify_n(c, o, INT64_MAX);
  pthread_mutex_unlock(&o->mu);
  return rc;
}
static int cv_acquire(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  mp__deadline d;
  int rc = acquire_args(c, a, &d);
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  int r = wait_until(c, o, d, S(o)->owner == c->caller ? rlock_free : cond_lock_free);
  if (r == 1) {
    S(o)->owner = c->caller;
    S(o)->count++;
  }
  pthread_mutex_unlock(&o->mu);
  return bool_result(r, res);
}
static const mgr_method cond_methods[] = {{"acquire", cv_acquire},
                                          {"release", rl_release},
                                          {"wait", cv_wait},
                                          {"notify", cv_notify},
                                          {"notify_all", cv_notify_all}};
const mgr_type mp__mgr_type_condition = {.name = "Condition",
                                         .create = cond_create,
                                         .destroy = sync_destroy,
                                         .methods = cond_methods,
                                         .nmethods = 5,
                                         .self_locking = true};

/* ---- Event ---- */
static int event_create(mgr_call *c, const mp_obj *a, void **d) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "Event()");
  return rc ? rc : sync_new(d, 0, 0, false);
}
static int ev_setflag(mgr_call *c, mgr_obj *o, const mp_obj *a, int64_t v) {
  int rc = mp__mgr_need_args(c, a, 0, 0, v ? "set" : "clear");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  S(o)->value = v;
  if (v) pthread_cond_broadcast(&o->cv);
  pthread_mutex_unlock(&o->mu);
  return 0;
}
static int ev_set(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **r) {
  (void)r;
  return ev_setflag(c, o, a, 1);
}
static int ev_clear(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **r) {
  (void)r;
  return ev_setflag(c, o, a, 0);
}
static int ev_is_set(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "is_set");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  *res = mp_obj_bool(S(o)->value != 0);
  pthread_mutex_unlock(&o->mu);
  return 0;
}
static bool ev_ready(msync *s, mgr_call *c) {
  (void)c;
  return s->value != 0;
}
static int ev_wait(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  mp__deadline d;
  int rc = mp__mgr_need_args(c, a, 0, 1, "wait");
  if (rc == 0) rc = mp__mgr_arg_timeout(c, a, 0, &d);
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  int r = wait_until(c, o, d, ev_ready);
  pthread_mutex_unlock(&o->mu);
  return bool_result(r, res);
}
static const mgr_method event_methods[] = {
    {"set", ev_set}, {"clear", ev_clear}, {"is_set", ev_is_set}, {"wait", ev_wait}};
const mgr_type mp__mgr_type_event = {.name = "Event",
                                     .create = event_create,
                                     .destroy = sync_destroy,
                                     .methods = event_methods,
                                     .nmethods = 4,
                                     .self_locking = true};

/* ---- Barrier ---- */
static int barrier_create(mgr_call *c, const mp_obj *a, void **d) {
  int64_t parties;
  int rc = mp__mgr_need_args(c, a, 1, 3, "Barrier()"); /* (parties[, action, timeout]) */
  if (rc == 0) rc = mp__mgr_arg_int(c, a, 0, 0, &parties);
  if (rc == 0 && parties < 1) rc = mp_manager_error(c, -EINVAL, "ValueError: parties must be > 0");
  if (rc == 0 && mp__mgr_arg(a, 1) != NULL && mp_obj_type_of(mp__mgr_arg(a, 1)) != MP_OBJ_NONE)
    rc = mp_manager_error(c, -EINVAL, "Barrier(action): actions cannot travel to the server");
  return rc ? rc : sync_new(d, 0, parties, false);
}
static int br_wait(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  mp__deadline d;
  int rc = mp__mgr_need_args(c, a, 0, 1, "wait");
  if (rc == 0) rc = mp__mgr_arg_timeout(c, a, 0, &d);
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  msync *s = S(o);
  int64_t index = -1;
  if (s->broken) {
    rc = MP_EBROKEN;
  } else {
    index = s->count++;
    if (s->count == s->initial) { /* the last one trips it */
      s->count = 0;
      s->gen++;
      pthread_cond_broadcast(&o->cv);
    } else {
      uint64_t gen = s->gen, resets = s->resets;
      while (rc == 0 && s->gen == gen && s->resets == resets && !s->broken)
        rc = mp__mgr_obj_wait(c, o, d);
      if (s->gen != gen)
        rc = 0; /* tripped, even if the deadline passed meanwhile */
      else if (rc == 0)
        rc = MP_EBROKEN; /* broken or reset while waiting */
      else { /* this caller's timeout (or departure) breaks the barrier for everybody */
        s->broken = true;
        s->count = 0;
        pthread_cond_broadcast(&o->cv);
        if (rc == MP_ETIMEDOUT) rc = MP_EBROKEN;
      }
    }
  }
  pthread_mutex_unlock(&o->mu);
  if (rc == MP_EBROKEN) return mp_manager_error(c, rc, "BrokenBarrierError");
  if (rc != 0) return rc;
  *res = mp_obj_int(index);
  return *res ? 0 : -ENOMEM;
}
static int br_abort(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 0, 0, "abort");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  S(o)->broken = true;
  S(o)->count = 0;
  pthread_cond_broadcast(&o->cv);
  pthread_mutex_unlock(&o->mu);
  return 0;
}
static int br_reset(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res) {
  (void)res;
  int rc = mp__mgr_need_args(c, a, 0, 0, "reset");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  S(o)->broken = false;
  S(o)->count = 0;
  S(o)->resets++;
  pthread_cond_broadcast(&o->cv);
  pthread_mutex_unlock(&o->mu);
  return 0;
}
static int br_int(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **res, int what) {
  int rc = mp__mgr_need_args(c, a, 0, 0, "barrier property");
  if (rc != 0) return rc;
  pthread_mutex_lock(&o->mu);
  msync *s = S(o);
  *res = what == 0   ? mp_obj_int(s->broken ? 0 : s->count)
         : what == 1 ? mp_obj_int(s->initial)
                     : mp_obj_bool(s->broken);
  pthread_mutex_unlock(&o->mu);
  return *res ? 0 : -ENOMEM;
}
static int br_n_waiting(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **r) {
  return br_int(c, o, a, r, 0);
}
static int br_parties(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **r) {
  return br_int(c, o, a, r, 1);
}
static int br_broken(mgr_call *c, mgr_obj *o, const mp_obj *a, mp_obj **r) {
  return br_int(c, o, a, r, 2);
}
static const mgr_method barrier_methods[] = {{"wait", br_wait},       {"abort", br_abort},
                                             {"reset", br_reset},     {"n_waiting", br_n_waiting},
                                             {"parties", br_parties}, {"broken", br_broken}};
const mgr_type mp__mgr_type_barrier = {.name = "Barrier",
                                       .create = barrier_create,
                                       .destroy = sync_destroy,
                                       .methods = barrier_methods,
                                       .nmethods = 6,
                                       .self_locking = true};
