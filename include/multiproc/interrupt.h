/* SPDX-License-Identifier: MIT */
/* multiproc/interrupt.h -- stopping blocking calls from a signal handler: the graceful Ctrl-C.
 *
 * A program whose SIGINT handler only sets a flag cannot act on it while its main thread sits
 * in mp_pool_map() or a get(); Python raises KeyboardInterrupt there.  Here the handler calls
 * mp_interrupt() (or the library installs one with mp_interrupt_on(SIGINT)), and every
 * interruptible call blocked in the process returns -EINTR; the program then stops what it
 * runs (mp_pool_terminate(), ...) and clears the interrupt before its next blocking calls:
 *
 *   mp_interrupt_on(SIGINT);
 *   rc = mp_pool_map(pool, task, items, 0, &results, MP_FOREVER);
 *   if (rc == -EINTR) {                  // Ctrl-C
 *     mp_interrupt_clear();
 *     mp_pool_terminate(pool);
 *     mp_pool_join(pool, MP_FOREVER);
 *   }
 *
 * (examples/interrupt_map.c is the whole program.)  The interrupt is a flag of this process:
 * it stays set, and every interruptible call returns -EINTR at once, until mp_interrupt_clear().
 * Children and pool workers are other processes and are not affected.
 *
 * Interruptible: waits for pool results (mp_async_result_get/wait/next/wait_any/wait_all and
 * the calls built on them: mp_pool_apply*, mp_pool_map*, mp_pool_starmap), queue put/get/join,
 * Event.wait, Semaphore.acquire, Lock/RLock acquire, Condition.wait (which returns -EINTR with
 * its lock held again, as after a timeout), Barrier.wait (which, as a timeout does, breaks the
 * barrier for the other parties), mp_process_join() and mp_pool_join() (within 50 ms: it sleeps
 * on a condition variable), connection send/recv/poll, mp_wait(), mp_listener_accept(),
 * mp_client(), and a manager proxy's call (every mp_proxy_* and typed proxy call, the
 * manager's mp_manager_* object constructors: the wait for the reply ends with -EINTR, a call
 * made with an interrupt pending sends nothing, and the server is told to give the call up, so
 * a reply that comes later is never taken for another call's; a proxy's release and a
 * shutdown are not interrupted, so a Ctrl-C path can clean up before it clears the flag).  A
 * call blocked in the thread that receives the signal returns at once when the handler was
 * installed without SA_RESTART (mp_interrupt_on() does so); one blocked in another thread is
 * woken by mp_interrupt() itself.  The server threads of a manager ignore interrupts.  A
 * synchronous pool call (mp_pool_map, ...) that is interrupted cancels its tasks that had not
 * started. */
#ifndef MULTIPROC_INTERRUPT_H
#define MULTIPROC_INTERRUPT_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Interrupts every interruptible blocking call of this process, now and until
 * mp_interrupt_clear().  Async-signal-safe: made to be called from a signal handler. */
MP_EXTERN void mp_interrupt(void);

/* Installs a handler for signo that calls mp_interrupt(), without SA_RESTART (so a blocked
 * call in the receiving thread returns at once).  It replaces the program's own handler for
 * that signal.  The first call also makes an eventfd of the process (kept open for its life)
 * through which mp_interrupt() wakes interruptible poll()-based waits in every thread.
 * Errors: -EINVAL (signo is not a signal that can be caught), negative errno of eventfd(). */
MP_EXTERN int mp_interrupt_on(int signo);

/* Whether an interrupt is pending.  Async-signal-safe. */
MP_EXTERN bool mp_interrupted(void);

/* Clears the interrupt, returning whether one was pending; blocking calls block again. */
MP_EXTERN bool mp_interrupt_clear(void);

#ifdef __cplusplus
}
#endif
#endif
