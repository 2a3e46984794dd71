/* SPDX-License-Identifier: MIT */
/* chaos_manager.c -- Manager: a client SIGKILLed in the middle of its calls, and the server
 * SIGKILLed under its clients.
 *
 * Clients: a started manager holds a list; three client processes (forks, on the shared-
 * memory channels) append numbered items to it and mark every append that returned.  One
 * client is killed at a random moment; the other two must go on being served (a number of
 * appends after the kill).  Then the list must hold every marked item exactly once (an
 * append killed before it returned may be there or not, never twice), and the server must
 * still answer and shut down cleanly.
 *
 * Server: the same clients, and the server process is killed instead.  Every client's call
 * in progress or made afterwards must fail (MP_EBROKEN, or MP_ETIMEDOUT) within its timeout
 * plus a margin, every client must end, and freeing the manager must leave nothing behind. */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "chaos.h"

#define M_CLIENTS 3
#define M_ITEMS 20000 /* per client; a client that gets through them all just ends */
#define M_TIMEOUT 3000 /* ms, each call */
#define M_MARGIN 2000 /* ms past it that counts as a hang */
#define M_PROGRESS 30 /* appends the survivors must make after a client's kill */
#define M_WAIT 10000 /* ms for that */

typedef struct {
  mp_proxy *list;
  _Atomic int stop;
  _Atomic long appended;
  _Atomic int hangs, errors, finished;
  _Atomic uint8_t returned[M_CLIENTS][M_ITEMS];
} mstate;

typedef struct {
  mstate *s;
  int id;
} marg;

static int client(void *arg) {
  marg *a = arg;
  mstate *s = a->s;
  for (int i = 0; i < M_ITEMS && !atomic_load(&s->stop); i++) {
    mp_obj *item = mp_obj_int((int64_t)a->id * M_ITEMS + i);
    mp_obj *args = mp_obj_tuple_steal(1, &item); /* takes item's reference */
    int64_t t0 = chaos_now_ms();
    int rc = mp_proxy_call(s->list, "append", args, NULL, M_TIMEOUT);
    mp_obj_decref(args);
    if (chaos_now_ms() - t0 > M_TIMEOUT + M_MARGIN) atomic_fetch_add(&s->hangs, 1);
    if (rc != 0) {
      atomic_fetch_add(&s->errors, 1);
      return rc == MP_EBROKEN || rc == MP_ETIMEDOUT ? 2 : 1;
    }
    atomic_store(&s->returned[a->id][i], 1);
    atomic_fetch_add(&s->appended, 1);
  }
  atomic_fetch_add(&s->finished, 1);
  return 0;
}

/* The server is the manager's child: the one child that appeared across mp_manager_start. */
static pid_t start_manager(mp_manager **m) {
  pid_t before[16], after[16];
  int nb = chaos_children(before, 16);
  if (mp_manager_new(m, NULL) != 0 || mp_manager_start(*m) != 0) return -1;
  int na = chaos_children(after, 16);
  for (int i = 0; i < na; i++) {
    bool old = false;
    for (int j = 0; j < nb; j++) old |= after[i] == before[j];
    if (!old) return after[i];
  }
  return 0;
}

static void iteration(chaos_row *row, mstate *s, bool kill_server) {
  memset(s, 0, sizeof *s);
  mp_manager *m = NULL;
  pid_t server = start_manager(&m);
  int rc = server > 0 ? mp_manager_list(m, NULL, &s->list) : -1;
  if (rc != 0) {
    chaos_note(row, "starting the manager or its list failed");
    row->lost++;
    mp_manager_free(m);
    return;
  }
  marg args[M_CLIENTS];
  mp_process *procs[M_CLIENTS];
  for (int i = 0; i < M_CLIENTS; i++) {
    args[i] = (marg){s, i};
    procs[i] = chaos_start(client, &args[i]);
  }
  chaos_sleep_us((int64_t)chaos_below(30000));
  int victim = (int)chaos_below(M_CLIENTS);
  int hung = 0;
  if (kill_server) {
    if (kill(server, SIGKILL) == 0) row->kills++;
  } else {
    if (chaos_kill(procs[victim])) row->kills++;
    long at_kill = atomic_load(&s->appended);
    int64_t until = chaos_now_ms() + M_WAIT;
    /* progress, unless both survivors are through their items already */
    while (atomic_load(&s->appended) < at_kill + M_PROGRESS && chaos_now_ms() < until &&
           !atomic_load(&s->errors) && atomic_load(&s->finished) < M_CLIENTS - 1)
      chaos_sleep_us(1000);
    if (atomic_load(&s->appended) < at_kill + M_PROGRESS &&
        atomic_load(&s->finished) < M_CLIENTS - 1) {
      chaos_note(row,
                 "iteration %ld: the survivors were not served after a client's kill "
                 "(%ld appends before, %ld after, %d errors)",
                 row->iterations, at_kill, (long)atomic_load(&s->appended),
                 (int)atomic_load(&s->errors));
      hung++;
    }
  }
  /* After the server's kill the clients run on until their calls fail: each must be told. */
  if (!kill_server) atomic_store(&s->stop, 1);
  for (int i = 0; i < M_CLIENTS; i++) hung += chaos_finish(procs[i], M_TIMEOUT + 3 * M_MARGIN);
  row->hangs += hung + s->hangs;
  if (!kill_server) {
    if (s->errors) {
      chaos_note(row, "%d survivor calls failed", s->errors);
      row->lost += s->errors;
    }
    mp_obj *v = NULL;
    rc = mp_proxy_call(s->list, "__len__", NULL, NULL, M_TIMEOUT);
    if (rc == 0) rc = mp_proxy_getvalue(s->list, &v);
    if (rc != 0) {
      chaos_note(row, "the server stopped answering: %s", mp_err_name(rc));
      row->lost++;
    } else {
      static uint16_t seen[M_CLIENTS][M_ITEMS];
      memset(seen, 0, sizeof seen);
      size_t n = mp_obj_len(v);
      for (size_t i = 0; i < n; i++) {
        int64_t x = -1;
        if (mp_obj_get_int(mp_obj_item(v, i), &x) != 0 || x < 0 || x >= M_CLIENTS * M_ITEMS) {
          row->torn++;
          continue;
        }
        seen[x / M_ITEMS][x % M_ITEMS]++;
      }
      for (int c = 0; c < M_CLIENTS; c++)
        for (int i = 0; i < M_ITEMS; i++) {
          if (seen[c][i] > 1) row->duplicated += seen[c][i] - 1;
          if (seen[c][i] == 0 && s->returned[c][i]) row->lost++;
        }
      mp_obj_decref(v);
    }
    mp_proxy_free(s->list);
    rc = mp_manager_shutdown(m);
    if (rc != 0) {
      chaos_note(row, "shutdown after a client's kill: %s", mp_err_name(rc));
      row->lost++;
    }
  } else {
    /* every client must have been told, not merely stopped */
    if (s->errors + s->finished < M_CLIENTS) {
      chaos_note(row, "%d of %d clients were told of the server's death", s->errors,
                 M_CLIENTS - s->finished);
      row->hangs += M_CLIENTS - s->finished - s->errors;
    }
    mp_proxy_free(s->list);
    (void)mp_manager_shutdown(m); /* reports the dead server */
  }
  mp_manager_free(m);
}

static void run(chaos_row *row, int64_t deadline_ms, long max_iters, bool kill_server) {
  mstate *s = chaos_shared(sizeof *s);
  chaos_census before;
  chaos_census_take(&before);
  while (chaos_now_ms() < deadline_ms && (max_iters == 0 || row->iterations < max_iters)) {
    iteration(row, s, kill_server);
    row->iterations++;
    row->leaks += chaos_leaks(row, &before, 3000);
  }
}

void chaos_manager_clients(chaos_row *row, int64_t deadline_ms, long max_iters) {
  run(row, deadline_ms, max_iters, false);
}

void chaos_manager_server(chaos_row *row, int64_t deadline_ms, long max_iters) {
  run(row, deadline_ms, max_iters, true);
}
