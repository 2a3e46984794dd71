/* SPDX-License-Identifier: MIT */
/* multiproc/queue.h -- Python's multiprocessing.Queue, SimpleQueue and JoinableQueue: message
 * queues living in the shared heap, usable by many producer and many consumer processes at once.
 *
 * No feeder thread: when a put returns 0 its message is already in shared memory, so a process
 * that exits (or is killed) right after a put loses nothing.  Puts and gets take no lock: each
 * claims one slot of a ring with one atomic operation that names the claimer, so a process
 * killed in the middle of a put or a get does not wedge the queue: whoever waits behind its
 * claim notices the dead owner and goes on; at most the killed process's own in-flight message
 * is lost (docs/queue.md says exactly what).
 *
 * A queue is an opaque handle in the shared heap: make it before forking the processes that use
 * it (or at least after the heap exists, see multiproc/heap.h) and pass the pointer.  Messages are
 * bytes (the queue copies them) or values (multiproc/obj.h, encoded as MessagePack).  Small
 * messages (up to MP_QUEUE_INLINE_MAX bytes) sit inline in a ring of slots; larger ones are held
 * in a heap block that is filled once by the put and handed to the get, and blocks are kept for
 * reuse so their pages stay faulted in.
 *
 * Python -> C:  Queue(maxsize) -> mp_queue_new(&q, maxsize); q.put(x, block, timeout) ->
 * mp_queue_put_bytes(q, buf, len, timeout) or mp_queue_put_obj(q, x, timeout), where timeout 0
 * is put_nowait / block=False and MP_FOREVER is block=True without a timeout; q.get() likewise;
 * queue.Full / queue.Empty -> MP_EFULL / MP_EEMPTY. */
#ifndef MULTIPROC_QUEUE_H
#define MULTIPROC_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "obj.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A queue (any of the three kinds).  Opaque; lives in the shared heap. */
typedef struct mp_queue mp_queue;

/* Messages up to this many bytes are stored inline in the ring; longer ones in a heap block. */
#define MP_QUEUE_INLINE_MAX 48

/* The largest message a queue accepts (bytes); longer puts fail with MP_ETOOBIG.  In practice a
 * put is also bounded by the free space of the shared heap (MP_HEAP_SIZE), see -ENOMEM below. */
#define MP_QUEUE_MSG_MAX ((size_t)1 << 40)

/* ---- making and freeing ---- */

/* multiprocessing.Queue(maxsize): a FIFO queue in the shared heap holding at most maxsize
 * messages (0: no limit of its own -- it is then bounded only by the shared heap: each queued
 * message costs a 64-byte ring slot, plus a heap block of its length rounded up for messages
 * longer than MP_QUEUE_INLINE_MAX, and a put that cannot get that memory fails with -ENOMEM).
 * A child forked after this call (or any process sharing the heap) may use *out.  Free it once
 * with mp_queue_free() when no process uses it any more.
 * Errors: -EINVAL (NULL out, maxsize over 2^31), -ENOMEM (heap exhausted). */
MP_EXTERN int mp_queue_new(mp_queue **out, size_t maxsize);

/* multiprocessing.SimpleQueue(): an unbounded queue with put, get, empty and close.  It is an
 * mp_queue and is used with the same functions (Python's SimpleQueue is the cut-down API of a
 * Queue; here the other calls work on it too).  Errors: as mp_queue_new(). */
MP_EXTERN int mp_simple_queue_new(mp_queue **out);

/* multiprocessing.JoinableQueue(maxsize): a Queue that also counts unfinished tasks, for
 * mp_queue_task_done() and mp_queue_join().  Errors: as mp_queue_new(). */
MP_EXTERN int mp_joinable_queue_new(mp_queue **out, size_t maxsize);

/* Frees the queue, any messages still in it and its cached blocks; NULL is accepted.  Call it
 * once, from one process, when no process uses the queue any more (as with mp_lock_free()). */
MP_EXTERN void mp_queue_free(mp_queue *q);

/* ---- putting ----
 * A put waits while the queue is full (only a queue with a maxsize can be full), at most timeout
 * ms: MP_FOREVER waits without limit (block=True), 0 does not wait (put_nowait / block=False).
 * Returns 0 once the message is in the queue, MP_EFULL when the queue stayed full for the whole
 * timeout (or was full, for 0), MP_ECLOSED when the queue has been closed (also when it is closed
 * while the put waits), -EINVAL (NULL q, or NULL buf with len > 0), MP_ETOOBIG (len over
 * MP_QUEUE_MSG_MAX), -ENOMEM (the shared heap has no room for the message).
 * A put on an unbounded queue never fails for want of room, but when 4096 messages or more are
 * queued, a put other than one with timeout 0 may first wait up to 200 us for a consumer to
 * free room for a batch of puts instead of growing the queue, so that a stream whose consumer
 * keeps up stays in memory that fits the caches.
 * A queue whose puts (or gets) all come from one thread runs them without locked instructions;
 * the first put (get) from a second thread while the first still lives makes that side shared
 * for good, a one-time cost of some tens of microseconds, and waits for the first thread to
 * finish the operation it may be inside: should that thread be stopped (SIGSTOP) there, the
 * call waits for its timeout, at least 100 ms, and fails as if the queue were full (empty). */

/* Puts a copy of len bytes at buf (len may be 0).  The queue copies the bytes: the caller keeps
 * ownership of buf on success and on error alike, and may reuse it as soon as the call returns. */
MP_EXTERN int mp_queue_put_bytes(mp_queue *q, const void *buf, size_t len, mp_timeout_ms timeout);

/* Puts a value, encoded with mp_obj_encode().  The value is borrowed: the caller keeps its
 * reference on success and on error.  Also returns the encoder's errors (-EINVAL for NULL o). */
MP_EXTERN int mp_queue_put_obj(mp_queue *q, const mp_obj *o, mp_timeout_ms timeout);

/* ---- getting ----
 * A get takes the oldest message, waiting while the queue is empty at most timeout ms
 * (MP_FOREVER: no limit; 0: get_nowait).  Returns 0 with the message, MP_EEMPTY when the queue
 * stayed empty for the whole timeout, MP_ECLOSED when the queue has been closed and holds no
 * message any more (messages put before mp_queue_close() are still delivered first), -EINVAL for
 * NULL arguments. */

/* Copies the message into buf (cap bytes) and sets *len to its length.  A message longer than
 * cap is left in the queue, *len is set to its length and MP_ETOOBIG is returned, so the caller
 * can retry with a buffer that large.  buf may be NULL when cap is 0. */
MP_EXTERN int mp_queue_get_bytes(mp_queue *q, void *buf, size_t cap, size_t *len,
                                 mp_timeout_ms timeout);

/* Takes the message into a new malloc'd buffer (*buf, *len) that the caller frees with free();
 * a 0-byte message gives a 1-byte buffer and *len 0.  On error *buf is NULL.  Also -ENOMEM. */
MP_EXTERN int mp_queue_get_alloc(mp_queue *q, void **buf, size_t *len, mp_timeout_ms timeout);

/* A message taken without copying: data and len describe it, the rest is private.  data points
 * into the shared heap block that carried the message (or into the struct itself for a small
 * message, so do not copy or move the struct while using data).  Every message obtained with
 * mp_queue_get_msg() must be given back with mp_queue_msg_release(). */
typedef struct mp_queue_msg {
  const void *data;
  size_t len;
  void *block_;
  size_t block_cap_;
  MP_ALIGNAS(16) unsigned char inline_[MP_QUEUE_INLINE_MAX];
} mp_queue_msg;

/* Takes the message and hands its bytes over without a copy (a large message's heap block
 * becomes the caller's until released).  On error *m holds no message and needs no release. */
MP_EXTERN int mp_queue_get_msg(mp_queue *q, mp_queue_msg *m, mp_timeout_ms timeout);

/* Gives a message from mp_queue_get_msg() back: its block returns to q's cache of pre-faulted
 * blocks (or to the heap).  q must be the queue the message came from.  Afterwards m holds no
 * message; releasing it again, or releasing a zeroed struct, does nothing. */
MP_EXTERN void mp_queue_msg_release(mp_queue *q, mp_queue_msg *m);

/* Takes a value (decoded with mp_obj_decode() and default limits) into *out, a new reference the
 * caller drops with mp_obj_decref().  A message that is not a valid encoding is consumed and
 * MP_ECORRUPT returned (or MP_ETOOBIG for a decoding limit); *out is NULL on every error. */
MP_EXTERN int mp_queue_get_obj(mp_queue *q, mp_obj **out, mp_timeout_ms timeout);

/* ---- event loops ---- */

/* A watch: a file descriptor of this process that is readable while q holds a message (or is
 * closed), for poll/epoll or an event loop (libuv's uv_poll_t) -- a queue is shared memory,
 * which poll() cannot watch.  When it fires, take messages with a timeout of 0 (MP_EEMPTY
 * means another consumer was first) and read the fd's 8-byte counter (its value means
 * nothing); after that read the fd is readable again at once if a message still waits, so the
 * loop may take one message or all of them per event, in either order.  A closed queue keeps
 * it readable, as a socket at its end does.  The watch is a thread of the calling process
 * that waits as a sleeping get would (so while it exists each put to an empty queue pays a
 * FUTEX_WAKE) and takes no message itself; it blocks all signals.  It belongs to the process
 * that made it (a forked child inherits the fd but not the thread).  Free it with
 * mp_queue_watch_free() before mp_queue_free(q).  Errors: -EINVAL, -ENOMEM, negative errno of
 * eventfd() or pthread_create(). */
typedef struct mp_queue_watch mp_queue_watch;
MP_EXTERN int mp_queue_watch_new(mp_queue *q, mp_queue_watch **out);

/* The watch's fd (owned by the watch: do not close it; read it only as said above), or
 * -EINVAL for NULL. */
MP_EXTERN int mp_queue_watch_fd(const mp_queue_watch *w);

/* Stops the watch's thread and closes its fd; NULL is accepted. */
MP_EXTERN void mp_queue_watch_free(mp_queue_watch *w);

/* ---- state ---- */

/* qsize(): the number of messages in the queue, read without a lock: exact while no put or get
 * runs; while some do, approximate by the operations that ran during the call (as Python's),
 * though never moving against them: with only puts running it never reads less than a count
 * of before the call, with only gets never more.  Returns the count (clamped to INT32_MAX) or
 * -EINVAL for NULL. */
MP_EXTERN int mp_queue_qsize(mp_queue *q);

/* empty(): whether the queue holds no message right now (true for NULL). */
MP_EXTERN bool mp_queue_empty(mp_queue *q);

/* full(): whether a queue with a maxsize holds maxsize messages right now (false for NULL and
 * for an unbounded queue). */
MP_EXTERN bool mp_queue_full(mp_queue *q);

/* close(): closes the queue for every process: later puts fail with MP_ECLOSED, puts and gets
 * waiting now are woken (the puts fail, the gets take what is there), and gets go on delivering
 * the messages already queued, then return MP_ECLOSED.  Unlike Python's close(), which closes
 * only the calling process's end, this is a state of the shared queue.  Idempotent: 0, or
 * -EINVAL for NULL. */
MP_EXTERN int mp_queue_close(mp_queue *q);

/* Whether mp_queue_close() has been called (false for NULL). */
MP_EXTERN bool mp_queue_closed(mp_queue *q);

/* join_thread() and cancel_join_thread(): kept for porting code.  There is no feeder thread (a
 * put that returned has its message in shared memory), so there is nothing to join or cancel;
 * both do nothing and accept NULL. */
MP_EXTERN void mp_queue_join_thread(mp_queue *q);
MP_EXTERN void mp_queue_cancel_join_thread(mp_queue *q);

/* ---- JoinableQueue ---- */

/* task_done(): tells the queue that one message taken by a get has been processed.  Returns 0,
 * -EOVERFLOW when called more times than messages were put (Python's ValueError "task_done()
 * called too many times"; nothing changes), -EINVAL for NULL or a queue that is not joinable. */
MP_EXTERN int mp_queue_task_done(mp_queue *q);

/* join(): waits until every message ever put has been marked done with mp_queue_task_done(), at
 * most timeout ms (Python's join has no timeout; MP_FOREVER gives its behaviour).  Returns 0,
 * MP_ETIMEDOUT, -EINVAL for NULL or a queue that is not joinable.  A consumer killed after taking
 * a message and before its task_done leaves that task unfinished for good: use a timeout where
 * that can happen. */
MP_EXTERN int mp_queue_join(mp_queue *q, mp_timeout_ms timeout);

#ifdef __cplusplus
}
#endif
#endif
