/* SPDX-License-Identifier: MIT */
/* mgr_timeouts.h -- every time bound of the manager in one place, each with the reason for its
 * value.  Spins are in ns (how long a side looks before it sleeps), waits in ms.  docs/manager.md
 * quotes them. */
#ifndef MP_MGR_TIMEOUTS_H
#define MP_MGR_TIMEOUTS_H

/* ---- spins before a sleep ---- */

/* A channel's serving thread spins this long for the next request after each answer: a client
 * calling in a loop comes back within a few microseconds, and catching it saves two futex calls
 * per round trip. */
#define MGR_SRV_CHAN_SPIN_NS 100000
/* A heap client spins this long for its reply: a non-blocking method is answered within a few
 * microseconds. */
#define MGR_CLI_CHAN_SPIN_NS 60000
/* Either side of a connection looks this long for the other's frame (yielding between looks)
 * before it sleeps in poll(): on an idle virtual machine a sleep costs a halted vCPU's wake-up,
 * ~60 us, more than the whole round trip through an awake peer; on a busy one the yield hands
 * the CPU to whoever needs it.  -DMGR_CONN_SPIN_NS=0 turns it off, to measure. */
#ifndef MGR_CONN_SPIN_NS
#define MGR_CONN_SPIN_NS 50000
#endif

/* ---- the server ---- */

/* A serving thread that saw a frame begin gives its sender this long to finish it before it
 * looks at the server's state again (the receive resumes where it stopped). */
#define MGR_FRAME_STALL_MS 1000
/* How long a serving thread waits to hand a reply to a connection that does not read it: a
 * client that stopped reading for this long is treated as gone. */
#define MGR_REPLY_SEND_MS 10000
/* The accepting thread's longest sleep with nothing to do: a stop wakes it through an eventfd,
 * so this only lets the listener drop handshakes past their timeout (which no fd event
 * announces) within about this much after it. */
#define MGR_ACCEPT_LOOK_MS 1000
/* After an accept that failed for want of resources (fds, memory), the accepting thread waits
 * this long before it tries again, so that it does not spin on the same failure. */
#define MGR_ACCEPT_BACKOFF_MS 20
/* A blocking method (Queue.get, Lock.acquire, ...) waits on its object in slices, so that a
 * caller that left or gave the call up (MGR_OP_CANCEL), which no wake-up announces (its
 * process is another one), is noticed within one.  The first lasts MGR_OBJ_WAIT_SLICE_MS;
 * each further one of the same call is MGR_OBJ_WAIT_SLICE_GROWTH times as long, up to
 * MGR_OBJ_WAIT_SLICE_MAX_MS: each wake-up costs ~50 us of CPU on a VM, so a call blocked for
 * an hour must not wake 10 times a second, while an interrupted caller's next call waits for
 * the notice at most that long.  A stop wakes the waiters at once. */
#define MGR_OBJ_WAIT_SLICE_MS 100
#define MGR_OBJ_WAIT_SLICE_GROWTH 2
#define MGR_OBJ_WAIT_SLICE_MAX_MS 800

/* ---- the starter and the clients ---- */

/* How long mp_manager_start() waits for the server child to say it runs (or failed): forking,
 * binding the listener and starting two threads take milliseconds; much longer means the child
 * is stuck. */
#define MGR_START_WAIT_MS 10000
/* How long mp_manager_shutdown() waits for the stopped server child to exit before it kills
 * it: an orderly stop joins every serving thread, each within a wait slice. */
#define MGR_SHUTDOWN_JOIN_MS 5000
/* How long a client's shutdown request, and a proxy's last decref, may take: both are sent from
 * clean-up paths that must not hang on a server that no longer answers. */
#define MGR_CLEANUP_CALL_MS 5000
/* How long a client closing its channel waits for the server thread to let go of it, looking
 * every MGR_CHAN_CLOSE_LOOK_US; past that the channel is left to the server (a small leak,
 * never a crash). */
#define MGR_CHAN_CLOSE_WAIT_MS 2000
#define MGR_CHAN_CLOSE_LOOK_US 200

#endif
