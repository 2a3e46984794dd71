/* SPDX-License-Identifier: MIT */
/* launch.c -- mp_manager_start(): the server in a daemon child (forked, or another image of the
 * program for forkserver and spawn: server_image.c), and the wait until it runs or failed. */
#include <string.h>

#include "heap/heap.h"
#include "manager/mgr_internal.h"
#include "manager/mgr_timeouts.h"
#include "os/wait.h"

static void take_address(mp_manager *m) {
  if (m->sh != NULL && m->sh->address[0] != '\0') {
    memcpy(m->address, m->sh->address, sizeof m->address);
    m->has_address = true;
  }
}

int mp_manager_start(mp_manager *m) {
  if (m == NULL) return -EINVAL;
  if (m->role != MGR_NEW) return MP_ESTATE;
  int rc = mp__mgr_shared_new(m);
  if (rc != 0) return rc;
  mp_process *p;
  mp_process_opts po = {
      .name = "SyncManager", .daemon = true, .start_method = (mp_start_method)m->method};
  rc = m->method == MP_START_FORK ? mp_process_new(&p, mp__mgr_server_main, m, &po)
                                  : mp__mgr_server_process(m, &po, &p);
  if (rc == 0 && (rc = mp_process_start(p)) != 0) mp_process_free(p);
  if (rc != 0) {
    mp__mgr_shared_free(m);
    return rc;
  }
  /* The server's run sets the state and wakes it (run.c, or a failed start: run.c's
   * mp__mgr_server_main). */
  mp__waiter w = {.word = &m->sh->state, .old = MGR_ST_STARTING};
  (void)mp__wait(&w, mp__deadline_in(MGR_START_WAIT_MS));
  uint32_t st = atomic_load(&m->sh->state);
  if (st != MGR_ST_RUNNING) {
    rc = st == MGR_ST_STARTING ? MP_ETIMEDOUT : m->sh->start_err ? m->sh->start_err : MP_EBROKEN;
    mp_process_kill(p);
    mp_process_join(p, MP_FOREVER);
    mp_process_free(p);
    mp__mgr_shared_free(m);
    return rc;
  }
  m->server = p;
  m->role = MGR_STARTED;
  take_address(m);
  return 0;
}
