/* SPDX-License-Identifier: MIT */
/* server.c -- the manager's server as a whole: its state, the threads it runs (each joined when
 * it stops), and the stop, which wakes every thread that sleeps so that it sees it. */
#include <stdlib.h>

#include "manager/mgr_internal.h"

void mp__mgr_server_stop(mgr_server *s) {
  atomic_store(&s->stop, true);
  /* Every sleeper is woken, so none needs a short time-out to notice: the accepting thread and
   * the connections' threads poll wake_fd, the run loop sleeps on stopseq or the shared state,
   * the attach thread on attach_seq, blocked methods on their objects, channels' threads
   * through their wakers. */
  mp__eventfd_post(s->wake_fd);
  atomic_fetch_add(&s->stopseq, 1);
  mp__futex_wake(&s->stopseq, INT32_MAX);
  if (s->sh != NULL) {
    uint32_t st = MGR_ST_RUNNING;
    atomic_compare_exchange_strong(&s->sh->state, &st, MGR_ST_STOPPING);
    mp__futex_wake(&s->sh->state, INT32_MAX);
    atomic_fetch_add(&s->sh->attach_seq, 1);
    mp__futex_wake(&s->sh->attach_seq, INT32_MAX);
  }
  mp__mgr_objects_wake_all(s);
  pthread_mutex_lock(&s->thr_mu);
  for (mgr_waker *w = s->wakers; w != NULL; w = w->next) w->wake(w->arg);
  pthread_mutex_unlock(&s->thr_mu);
}

void mp__mgr_server_waker_add(mgr_server *s, mgr_waker *w) {
  pthread_mutex_lock(&s->thr_mu);
  w->next = s->wakers;
  s->wakers = w;
  pthread_mutex_unlock(&s->thr_mu);
}

void mp__mgr_server_waker_remove(mgr_server *s, mgr_waker *w) {
  pthread_mutex_lock(&s->thr_mu);
  mgr_waker **pp = &s->wakers;
  while (*pp != NULL && *pp != w) pp = &(*pp)->next;
  if (*pp != NULL) *pp = w->next;
  pthread_mutex_unlock(&s->thr_mu);
}

int mp__mgr_server_new(mgr_server **out, mp_manager *m) {
  mgr_server *s = calloc(1, sizeof *s);
  if (s == NULL) return -ENOMEM;
  s->wake_fd = mp__eventfd_new();
  if (s->wake_fd < 0) {
    int rc = s->wake_fd;
    free(s);
    return rc;
  }
  s->m = m;
  s->sh = m->sh;
  s->custom = m->types;
  s->ncustom = m->ntypes;
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->thr_mu, NULL);
  *out = s;
  return 0;
}

void mp__mgr_server_free(mgr_server *s) {
  if (s == NULL) return;
  mp__mgr_objects_free_all(s);
  mp__close(s->wake_fd);
  pthread_mutex_destroy(&s->mu);
  pthread_mutex_destroy(&s->thr_mu);
  free(s);
}

/* ---- threads ---- */

static void reap_done_locked(mgr_server *s) {
  mgr_thread **pp = &s->threads;
  while (*pp != NULL) {
    mgr_thread *t = *pp;
    if (atomic_load(&t->done)) {
      pthread_join(t->tid, NULL);
      *pp = t->next;
      free(t);
    } else {
      pp = &t->next;
    }
  }
}

typedef struct thr_start {
  mgr_server *s;
  mgr_thread *t;
  void (*fn)(mgr_server *, void *);
  void *arg;
} thr_start;

static void *thr_main(void *p) {
  thr_start st = *(thr_start *)p;
  free(p);
  /* The program's Ctrl-C stops its own calls, never the serving of other clients. */
  mp__interrupt_ignore_here();
  st.fn(st.s, st.arg);
  atomic_store(&st.t->done, true);
  return NULL;
}

int mp__mgr_server_spawn(mgr_server *s, void (*fn)(mgr_server *, void *), void *arg) {
  mgr_thread *t = calloc(1, sizeof *t);
  thr_start *st = malloc(sizeof *st);
  if (t == NULL || st == NULL) {
    free(t);
    free(st);
    return -ENOMEM;
  }
  *st = (thr_start){s, t, fn, arg};
  pthread_mutex_lock(&s->thr_mu);
  reap_done_locked(s);
  int rc = pthread_create(&t->tid, NULL, thr_main, st);
  if (rc == 0) {
    t->next = s->threads;
    s->threads = t;
  }
  pthread_mutex_unlock(&s->thr_mu);
  if (rc != 0) {
    free(t);
    free(st);
    return -rc;
  }
  return 0;
}

void mp__mgr_server_join_all(mgr_server *s) {
  pthread_mutex_lock(&s->thr_mu);
  while (s->threads != NULL) {
    mgr_thread *t = s->threads;
    s->threads = t->next;
    pthread_mutex_unlock(&s->thr_mu);
    pthread_join(t->tid, NULL);
    free(t);
    pthread_mutex_lock(&s->thr_mu);
  }
  pthread_mutex_unlock(&s->thr_mu);
}
