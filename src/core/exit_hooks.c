/* exit_hooks.c -- clean-up that must run however a process of ours ends normally: at exit()
 * through atexit(), and in a child started by mp_process_start(), which leaves with _exit()
 * after its target and so skips atexit handlers. */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

#define MAX_HOOKS 8

static void (*hooks[MAX_HOOKS])(void);
static int nhooks;
static pthread_mutex_t hooks_mutex = PTHREAD_MUTEX_INITIALIZER;

int mp__on_exit(void (*fn)(void)) {
  pthread_mutex_lock(&hooks_mutex);
  int r = nhooks < MAX_HOOKS ? 0 : -ENOMEM;
  if (r == 0) hooks[nhooks++] = fn;
  pthread_mutex_unlock(&hooks_mutex);
  return r == 0 && atexit(fn) != 0 ? -ENOMEM : r;
}

void mp__run_exit_hooks(void) {
  /* Last registered first, as atexit() does. */
  for (int i = nhooks - 1; i >= 0; i--) hooks[i]();
}
