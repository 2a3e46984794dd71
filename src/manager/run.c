/* SPDX-License-Identifier: MIT */
/* run.c -- a server's run from start to stop: its threads (attach, accept), the sleep until a
 * stop, the join of every thread; and the body of a server process. */
#include <signal.h>

#include "manager/mgr_internal.h"
#include "os/wait.h"

int mp__mgr_server_run(mgr_server *s) {
  int rc = mp__mgr_serve_attach_start(s);
  if (rc == 0 && s->listener == NULL) rc = mp__mgr_listen_start(s);
  if (s->sh != NULL) {
    if (rc != 0) s->sh->start_err = rc;
    atomic_store(&s->sh->server_pid, mp__self_pid());
    atomic_store(&s->sh->state, rc == 0 ? MGR_ST_RUNNING : MGR_ST_STOPPED);
    mp__futex_wake(&s->sh->state, INT32_MAX);
  }
  /* Every stop changes the word and wakes it: the shared state (mp_manager_shutdown from the
   * starter) or stopseq (mp__mgr_server_stop), so the wait needs no short time-out: mp__wait's
   * growing slices only cover a waker that died between the change and its wake-up. */
  if (rc == 0 && !mp__mgr_server_stopping(s)) {
    mp__waiter w = {.check = mp__mgr_stop_check, .arg = s};
    if (s->sh != NULL) {
      w.word = &s->sh->state;
      w.old = MGR_ST_RUNNING;
    } else {
      w.word = &s->stopseq;
      w.old = atomic_load(&s->stopseq);
    }
    (void)mp__wait(&w, mp__deadline_in(MP_FOREVER));
  }
  /* A stop through the shared state (the starter's shutdown) has not woken the threads yet. */
  mp__mgr_server_stop(s);
  mp__mgr_server_join_all(s);
  mp__mgr_listen_stop(s);
  return rc;
}

int mp__mgr_server_main(void *arg) {
  mp_manager *m = arg;
  /* As Python's manager server: Ctrl-C in a terminal goes to the whole foreground group, and
   * it is the program's to handle; the server is stopped by the program's clean-up. */
  signal(SIGINT, SIG_IGN);
  mgr_client *inherited = atomic_exchange(&m->client, NULL);
  (void)inherited; /* the starter's session (none yet): not ours */
  mgr_server *s;
  int rc = mp__mgr_server_new(&s, m);
  if (rc != 0) {
    m->sh->start_err = rc;
    atomic_store(&m->sh->state, MGR_ST_STOPPED);
    mp__futex_wake(&m->sh->state, INT32_MAX);
    return 1;
  }
  m->srv = s;
  rc = mp__mgr_server_run(s);
  mp__mgr_server_free(s);
  atomic_store(&m->sh->state, MGR_ST_STOPPED);
  mp__futex_wake(&m->sh->state, INT32_MAX);
  return rc == 0 ? 0 : 1;
}
