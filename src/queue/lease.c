/* SPDX-License-Identifier: MIT */
/* lease.c -- the leases that let one producer or one consumer of a queue go without a CAS
 * (queue_internal.h, struct queue_lease).
 *
 * A queue stream usually has one producer and one consumer, and then the CAS with which each
 * put and get claims its slot -- a locked instruction that drains the store buffer, twice per
 * operation with the move of the tail or head -- is a large part of a message's cost (in one
 * process with the ring in cache a put went from 11.3 to 8.4-8.9 ns without them).  So the
 * first thread to put takes the put lease, the first to get the get lease, and the holder then
 * loads the slot's state, writes, and stores the next state and the tail or head (leased.h),
 * as the single-producer ring of the queue_small floor does.
 *
 * The holder marks the start of each leased operation at position p by storing working = p + 1
 * and then looks at revoke; between that store and that load there is no fence -- a fence
 * there would cost what the CAS did.  The operation's end needs no store of its own: its move
 * of the tail or head to p + 1 says it, and one that does not happen stores working = 0, so an
 * operation is in flight exactly while working is one past the position
 * (mp__qlease_in_flight).  A revoker stores revoke and then issues
 * membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), which runs a full memory barrier on every CPU
 * running a thread of a process registered for it (the holder registered before it took the
 * lease), so that afterwards either the holder's operation had already begun and its working
 * is seen, or it has not and it will see revoke and take the shared way.  The revoker waits
 * until no operation is in flight (the slot's stores are then visible), and makes the side
 * shared for good, since two threads came to it.
 *
 * A holder that dies keeps nothing from anybody: a leased operation never puts a claim in a
 * slot, so a put killed before its store left a free slot (its message was never sent) and a
 * get killed before its store left the message published, to be delivered first to the next
 * get.  The next thread to come revokes the dead holder's lease (an operation left in flight
 * is not waited for once the holder is found dead) and takes the lease itself, so that a
 * stream whose producer is replaced (a new child) keeps the fast way.
 *
 * The locked CAS was also the full fence between a put's store and its look at the sleeper
 * counts (mp__queue_wake); the leased forms issue that fence themselves. */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/wait.h"
#include "queue/queue_internal.h"

static int membarrier(int cmd) { return (int)syscall(__NR_membarrier, cmd, 0, 0); }

/* The process whose threads may hold leases: it registered for expedited global barriers.
 * Per process (a forked child must register its own memory), answered once. */
static _Atomic pid_t registered_pid;
static _Atomic pid_t refused_pid;

static bool can_hold_leases(void) {
  pid_t me = mp__self_pid();
  if (atomic_load_explicit(&registered_pid, memory_order_relaxed) == me) return true;
  if (atomic_load_explicit(&refused_pid, memory_order_relaxed) == me) return false;
  int have = membarrier(MEMBARRIER_CMD_QUERY);
  bool ok = have >= 0 && (have & MEMBARRIER_CMD_GLOBAL_EXPEDITED) &&
            membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
  atomic_store(ok ? &registered_pid : &refused_pid, me);
  return ok;
}

/* Makes every registered holder's stores before its current point visible, and its later
 * loads see what this thread stored before the call. */
static int barrier_on_holders(void) {
  if (membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) == 0) return 0;
  if (membarrier(MEMBARRIER_CMD_GLOBAL) == 0) return 0; /* slower, same guarantee */
  return -errno;
}

/* Waits until the holder named by owner is out of its leased operation: 0 when it is (or
 * died: *dead set), MP_ETIMEDOUT at the deadline. */
static int wait_not_working(mp_queue *q, queue_lease *l, uint64_t owner, mp__deadline d,
                            bool *dead) {
  *dead = false;
  for (unsigned round = 0;; round++) {
    if (!mp__qlease_in_flight(q, l)) break;
    if (round % 64 == 63) {
      /* an operation lasts a copy: one still on after this long is preempted, stopped or
       * dead */
      if (mp__owner_dead(owner)) {
        *dead = true;
        return 0;
      }
      if (mp__deadline_passed(d)) return MP_ETIMEDOUT;
      sched_yield();
    }
    mp__cpu_relax();
  }
  *dead = mp__owner_dead(owner);
  return 0;
}

int mp__qlease_settle(mp_queue *q, queue_lease *l, mp__deadline d) {
  uint64_t owner = atomic_load(&l->owner);
  uint64_t me = mp__self();
  if (owner == LEASE_SHARED || owner == me) return 0;
  if (owner == LEASE_FREE) {
    uint64_t to = can_hold_leases() ? me : LEASE_SHARED;
    atomic_compare_exchange_strong(&l->owner, &owner, to); /* else someone else settled it */
    return 0;
  }
  int rc = mp__queue_lock(q); /* one revoker at a time */
  if (rc != 0) return rc;
  owner = atomic_load(&l->owner);
  if (owner != LEASE_SHARED && owner != me && owner != LEASE_FREE) {
    atomic_store(&l->revoke, 1);
    rc = barrier_on_holders();
    bool dead = false;
    if (rc == 0) rc = wait_not_working(q, l, owner, d, &dead);
    if (rc == 0) {
      if (dead && can_hold_leases()) {
        atomic_store(&l->owner, me);
        atomic_store(&l->working, 0); /* the dead holder's, if it died inside an operation */
        atomic_store(&l->revoke, 0);
      } else {
        atomic_store(&l->owner, LEASE_SHARED);
      }
    }
  }
  mp__queue_unlock(q);
  return rc;
}
