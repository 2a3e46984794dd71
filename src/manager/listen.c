/* listen.c -- the server's listener for processes that do not share its heap: one accepting
 * thread handing each authenticated connection to a serving thread of its own. */
#include "manager/mgr_internal.h"

int mgr__listen_start(mgr_server *s) {
  if (!s->m->has_address) return 0;
  return -ENOSYS; /* connections by address need the Listener (listener.h) */
}

void mgr__listen_stop(mgr_server *s) { (void)s; }

int mgr__dial(mp_manager *m, mp_conn **out, mp_timeout_ms timeout) {
  (void)m;
  (void)timeout;
  *out = NULL;
  return -ENOSYS;
}
