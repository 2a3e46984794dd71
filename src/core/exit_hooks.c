/* SPDX-License-Identifier: MIT */
/* exit_hooks.c -- clean-up that must run however a process of ours ends normally: at exit()
 * through atexit(), and in a child started by mp_process_start(), which leaves with _exit()
 * after its target and so skips atexit handlers.
 *
 * Lock-free on purpose: a mutex here could be held by one thread while another forks, and the
 * child would then find it locked for good.  A slot is claimed with one fetch-add and published
 * with one store; the child's exit path only reads. */
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

#define MAX_HOOKS 8

static void (*_Atomic hooks[MAX_HOOKS])(void);
static atomic_int nhooks; /* slots claimed; may pass MAX_HOOKS after failed claims */

int mp__on_exit(void (*fn)(void)) {
  int i = atomic_fetch_add(&nhooks, 1);
  if (i >= MAX_HOOKS) return -ENOMEM;
  atomic_store(&hooks[i], fn);
  return atexit(fn) != 0 ? -ENOMEM : 0;
}

void mp__run_exit_hooks(void) {
  int n = atomic_load(&nhooks);
  if (n > MAX_HOOKS) n = MAX_HOOKS;
  /* Last registered first, as atexit() does.  A slot claimed but not yet published (another
   * thread in the middle of mp__on_exit) is still NULL and skipped. */
  for (int i = n - 1; i >= 0; i--) {
    void (*fn)(void) = atomic_load(&hooks[i]);
    if (fn) fn();
  }
}
