/* SPDX-License-Identifier: MIT */
/* objects.c -- the server's table of objects and the sessions holding references to them:
 * creation, lookup with a pin for the call in flight, incref/decref, and dropping every
 * reference of a session whose last transport has gone (a client that ended or died). */
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"

static size_t bucket_of(uint64_t id) { return (size_t)(id * UINT64_C(0x9E3779B97F4A7C15) >> 54); }
_Static_assert(MGR_BUCKETS == 1024, "bucket_of keeps 10 bits");

static mgr_obj *find_locked(mgr_server *s, uint64_t id) {
  for (mgr_obj *o = s->buckets[bucket_of(id)]; o != NULL; o = o->next)
    if (o->id == id) return o;
  return NULL;
}

static void unlink_locked(mgr_server *s, mgr_obj *o) {
  mgr_obj **pp = &s->buckets[bucket_of(o->id)];
  while (*pp != o) pp = &(*pp)->next;
  *pp = o->next;
  s->nobjs--;
}

/* Frees an object already out of the table (no lock held: destroy may take time). */
static void obj_destroy(mgr_obj *o) {
  const mgr_type *t = o->type;
  if (t->custom != NULL) {
    if (t->custom->destroy != NULL) t->custom->destroy(o->data, t->custom->arg);
  } else if (t->destroy != NULL) {
    t->destroy(o->data);
  }
  pthread_mutex_destroy(&o->mu);
  pthread_cond_destroy(&o->cv);
  free(o);
}

/* Drops n references; frees the object at zero.  Lock held on entry and on return. */
static void drop_locked(mgr_server *s, mgr_obj *o, int64_t n) {
  o->refs -= n;
  if (o->refs > 0) return;
  unlink_locked(s, o);
  pthread_mutex_unlock(&s->mu);
  obj_destroy(o);
  pthread_mutex_lock(&s->mu);
}

static mgr_ref *ref_find(mgr_session *sess, uint64_t id) {
  for (size_t i = 0; i < sess->nrefs; i++)
    if (sess->refs[i].id == id) return &sess->refs[i];
  return NULL;
}

static int ref_add(mgr_session *sess, uint64_t id) {
  mgr_ref *r = ref_find(sess, id);
  if (r != NULL) {
    r->n++;
    return 0;
  }
  if (sess->nrefs == sess->caprefs) {
    size_t cap = sess->caprefs ? sess->caprefs * 2 : 8;
    mgr_ref *n = realloc(sess->refs, cap * sizeof *n);
    if (n == NULL) return -ENOMEM;
    sess->refs = n;
    sess->caprefs = cap;
  }
  sess->refs[sess->nrefs++] = (mgr_ref){id, 1};
  return 0;
}

int mp__mgr_obj_add(mgr_server *s, const mgr_type *t, void *data, mgr_session *sess, uint64_t *id) {
  mgr_obj *o = calloc(1, sizeof *o);
  if (o == NULL) return -ENOMEM;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&o->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&o->mu, NULL);
  o->type = t;
  o->data = data;
  o->refs = 1;
  pthread_mutex_lock(&s->mu);
  o->id = ++s->next_id;
  int rc = ref_add(sess, o->id);
  if (rc == 0) {
    size_t b = bucket_of(o->id);
    o->next = s->buckets[b];
    s->buckets[b] = o;
    s->nobjs++;
    *id = o->id;
  }
  pthread_mutex_unlock(&s->mu);
  if (rc != 0) {
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    free(o);
  }
  return rc;
}

uint64_t mp__mgr_obj_find_data(mgr_server *s, const void *data) {
  uint64_t id = 0;
  pthread_mutex_lock(&s->mu);
  for (size_t b = 0; b < MGR_BUCKETS && id == 0; b++)
    for (mgr_obj *o = s->buckets[b]; o != NULL; o = o->next)
      if (o->type->custom == NULL && o->data == data) {
        id = o->id;
        break;
      }
  pthread_mutex_unlock(&s->mu);
  return id;
}

mgr_obj *mp__mgr_obj_pin(mgr_server *s, uint64_t id) {
  pthread_mutex_lock(&s->mu);
  mgr_obj *o = find_locked(s, id);
  if (o != NULL) o->refs++;
  pthread_mutex_unlock(&s->mu);
  return o;
}

void mp__mgr_obj_unpin(mgr_server *s, mgr_obj *o) {
  pthread_mutex_lock(&s->mu);
  drop_locked(s, o, 1);
  pthread_mutex_unlock(&s->mu);
}

int mp__mgr_obj_incref(mgr_server *s, mgr_session *sess, uint64_t id) {
  pthread_mutex_lock(&s->mu);
  mgr_obj *o = find_locked(s, id);
  int rc = o == NULL ? -ENOENT : ref_add(sess, id);
  if (rc == 0) o->refs++;
  pthread_mutex_unlock(&s->mu);
  return rc;
}

int mp__mgr_obj_decref(mgr_server *s, mgr_session *sess, uint64_t id) {
  pthread_mutex_lock(&s->mu);
  mgr_ref *r = ref_find(sess, id);
  mgr_obj *o = find_locked(s, id);
  if (r != NULL && o != NULL) {
    if (--r->n == 0) *r = sess->refs[--sess->nrefs];
    drop_locked(s, o, 1);
  }
  pthread_mutex_unlock(&s->mu);
  return 0;
}

mgr_session *mp__mgr_session_get(mgr_server *s, uint64_t key) {
  pthread_mutex_lock(&s->mu);
  mgr_session *sess = s->sessions;
  while (sess != NULL && sess->key != key) sess = sess->next;
  if (sess == NULL && (sess = calloc(1, sizeof *sess)) != NULL) {
    sess->key = key;
    sess->next = s->sessions;
    s->sessions = sess;
  }
  if (sess != NULL) sess->transports++;
  pthread_mutex_unlock(&s->mu);
  return sess;
}

void mp__mgr_session_detach(mgr_server *s, mgr_session *sess) {
  if (sess == NULL) return;
  pthread_mutex_lock(&s->mu);
  if (--sess->transports > 0) {
    pthread_mutex_unlock(&s->mu);
    return;
  }
  mgr_session **pp = &s->sessions;
  while (*pp != sess) pp = &(*pp)->next;
  *pp = sess->next;
  /* The client is gone for good: every reference it still held goes with it. */
  for (size_t i = 0; i < sess->nrefs; i++) {
    mgr_obj *o = find_locked(s, sess->refs[i].id);
    if (o != NULL) drop_locked(s, o, sess->refs[i].n);
  }
  pthread_mutex_unlock(&s->mu);
  free(sess->refs);
  free(sess);
}

void mp__mgr_objects_wake_all(mgr_server *s) {
  /* Without each o->mu: a waiter between its look at the stop and its sleep misses this, and
   * notices within its wait slice (mp__mgr_obj_wait). */
  pthread_mutex_lock(&s->mu);
  for (size_t b = 0; b < MGR_BUCKETS; b++)
    for (mgr_obj *o = s->buckets[b]; o != NULL; o = o->next) pthread_cond_broadcast(&o->cv);
  pthread_mutex_unlock(&s->mu);
}

int64_t mp__mgr_obj_count(mgr_server *s) {
  pthread_mutex_lock(&s->mu);
  int64_t n = s->nobjs;
  pthread_mutex_unlock(&s->mu);
  return n;
}

void mp__mgr_objects_free_all(mgr_server *s) {
  for (size_t b = 0; b < MGR_BUCKETS; b++) {
    while (s->buckets[b] != NULL) {
      mgr_obj *o = s->buckets[b];
      s->buckets[b] = o->next;
      obj_destroy(o);
    }
  }
  s->nobjs = 0;
  while (s->sessions != NULL) {
    mgr_session *n = s->sessions->next;
    free(s->sessions->refs);
    free(s->sessions);
    s->sessions = n;
  }
}
