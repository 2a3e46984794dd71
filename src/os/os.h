/* SPDX-License-Identifier: MIT */
/* os.h -- the only Linux-specific layer: clocks and deadlines, futexes, pidfds and fd helpers.
 * Everything above it calls these wrappers instead of raw system calls, so each kernel quirk is
 * handled once.  Every function returns 0 or a positive count on success and a negative errno
 * on failure, and retries EINTR itself unless it says otherwise. */
#ifndef MP_OS_H
#define MP_OS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "internal.h"

/* ---- deadlines (clock.c) ----
 * A blocking call turns its relative mp_timeout_ms into one absolute CLOCK_MONOTONIC deadline
 * on entry and derives what is left from it after every wake-up, so EINTR and spurious
 * wake-ups never extend the total wait.  The monotonic clock is system-wide, so a deadline
 * also means the same thing in another process. */
typedef struct mp__deadline {
  int64_t at_ns; /* absolute CLOCK_MONOTONIC time in ns; -1 = never */
} mp__deadline;

/* Monotonic time in nanoseconds. */
int64_t mp__now_ns(void);

/* The deadline timeout ms from now.  Negative timeouts mean forever; 0 is already due. */
mp__deadline mp__deadline_in(mp_timeout_ms timeout);

/* A deadline not computed yet (mp__deadline_lazy). */
#define MP__DEADLINE_UNSET INT64_MIN

/* The deadline timeout ms from the first call on *d, which starts MP__DEADLINE_UNSET: for a
 * call whose first try never waits, so that its fast path reads no clock (about 25 ns on a VM,
 * half the cost of a queue put).  The time limit then counts from that first try's end, a
 * bounded, non-blocking step after the call's entry. */
static inline mp__deadline mp__deadline_lazy(mp__deadline *d, mp_timeout_ms timeout) {
  if (d->at_ns == MP__DEADLINE_UNSET) *d = mp__deadline_in(timeout);
  return *d;
}

/* Whether the deadline is infinite. */
static inline bool mp__deadline_forever(mp__deadline d) { return d.at_ns < 0; }

/* Milliseconds left, rounded up so a poll() never wakes just before the deadline: -1 for a
 * deadline that never comes, 0 once it has passed.  Capped at INT32_MAX for poll(). */
int mp__deadline_poll_ms(mp__deadline d);

/* Whether the deadline has passed (never true for an infinite deadline). */
bool mp__deadline_passed(mp__deadline d);

/* The deadline as an absolute timespec on CLOCK_MONOTONIC, or NULL for an infinite one. */
const struct timespec *mp__deadline_abs(mp__deadline d, struct timespec *buf);

/* The CPU's spin-wait hint, for the brief spins before a sleep. */
static inline void mp__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield" ::: "memory");
#endif
}

/* ---- futexes (futex.c) ----
 * Shared-memory words only: never FUTEX_PRIVATE_FLAG, because the waiters live in several
 * processes. */

/* Sleeps while *word == expected, until woken or the deadline passes.  Returns 0 when woken
 * (possibly spuriously), -EAGAIN when *word != expected on entry, -ETIMEDOUT, or -EINTR (a
 * signal arrived; the caller re-checks its condition and calls again). */
int mp__futex_wait(_Atomic uint32_t *word, uint32_t expected, mp__deadline d);

/* Wakes up to n waiters on word; returns how many were woken. */
int mp__futex_wake(_Atomic uint32_t *word, int n);

/* ---- interrupt.c: mp_interrupt() (multiproc/interrupt.h) ---- */
/* Whether mp_interrupt() was called and not cleared, for the calling thread: always false in
 * a thread that called mp__interrupt_ignore_here().  Async-signal-safe. */
bool mp__interrupt_pending(void);
/* Makes every interruptible wait of the calling thread ignore interrupts (for the library's own
 * threads that must keep running through a Ctrl-C: a manager's serving threads). */
void mp__interrupt_ignore_here(void);
/* The same for a while: sets whether the calling thread ignores interrupts and returns what it
 * did before (for clean-up calls that must not be cut short, such as a proxy's last decref). */
bool mp__interrupt_set_deaf(bool on);
/* Around an interruptible sleep on word: publishes it so mp_interrupt() wakes it, and takes it
 * back. */
void mp__interrupt_sleep_on(_Atomic uint32_t *word);
void mp__interrupt_awake(void);
/* mp__poll_readable() that mp_interrupt() ends with -EINTR: in the thread the signal hit (poll
 * is never restarted), and in every thread once mp_interrupt_on() made its eventfd. */
int mp__poll_readable_interruptible(int fd, mp__deadline d);
/* poll() of pfd[0, n) that mp_interrupt() ends, as above.  pfd has room for n + 1 entries: the
 * last is the interrupt's eventfd (when there is one), filled in here.  Returns how many of the
 * first n have events (> 0), 0 when the deadline passed, -EINTR (an interrupt was pending, or
 * came; a pending one returns at once, unless something is ready already), or -errno.  A
 * signal that is no interrupt is retried with the time that is left. */
struct pollfd;
int mp__poll_interruptible(struct pollfd *pfd, unsigned long n, mp__deadline d);
/* That eventfd, kept for the life of the process, or -1 (the test harness's leak check knows
 * it). */
int mp__interrupt_fd(void);
/* In a child the library forked: its parent's pending interrupt is not its own. */
void mp__interrupt_after_fork(void);

/* ---- pidfds (pidfd.c) ---- */

/* Opens a close-on-exec pidfd for pid (a child not yet reaped).  Returns the fd or -errno. */
int mp__pidfd_open(pid_t pid);

/* Sends sig through a pidfd.  A process that has already ended counts as success. */
int mp__pidfd_signal(int pidfd, int sig);

/* Reaps the child behind pidfd.  With block false it returns at once.  Returns 1 and sets
 * *exitcode (exit status, or -signal) when reaped, 0 when the child still runs (non-blocking
 * only), or -errno (-ECHILD when somebody else reaped it). */
int mp__pidfd_reap(int pidfd, bool block, int *exitcode);

/* Whether the process behind pidfd has ended (looked at without waiting).  False for -1. */
bool mp__pidfd_ended(int pidfd);

/* ---- fds (fd.c) ---- */

/* Waits until fd is readable (or hung up) or the deadline passes.  Returns 1 when ready,
 * 0 on timeout, -errno on error. */
int mp__poll_readable(int fd, mp__deadline d);

/* Reads exactly len bytes (a blocking fd).  Returns 0, -EPIPE at EOF before the end, or
 * -errno. */
int mp__read_all(int fd, void *buf, size_t len);

/* Sends exactly len bytes on a blocking socket, never raising SIGPIPE.  Returns 0 or -errno. */
int mp__send_all(int fd, const void *buf, size_t len);

/* A close-on-exec, non-blocking eventfd whose counter starts at 0: a wake-up that poll() sees
 * as readable until somebody reads it.  Returns the fd or -errno. */
int mp__eventfd_new(void);

/* Adds 1 to the eventfd's counter, making it readable (a full counter is readable already). */
void mp__eventfd_post(int fd);

/* close() that ignores EINTR (on Linux the fd is released even then) and tolerates -1. */
void mp__close(int fd);

/* ---- shared memory (mem.c) ---- */

/* A close-on-exec memfd named name (for /proc only), of size 0.  The fd or -errno. */
int mp__memfd_new(const char *name);

#define MP__MAP_NORESERVE 1u /* only touched pages count against memory accounting */
#define MP__MAP_EXACT 2u /* at exactly `at`, never over an existing mapping */
/* Maps size bytes of fd shared and read-write into *out, at `at` (a hint, or exact with
 * MP__MAP_EXACT: -EEXIST when something is there).  0 or -errno. */
int mp__map_shared(int fd, size_t size, void *at, unsigned flags, void **out);
/* Unmaps what mp__map_shared mapped.  NULL is accepted. */
void mp__unmap(void *p, size_t size);

/* ---- randomness (random.c) ---- */

/* Fills buf with len bytes from the kernel's random source (getrandom).  Where that fails (an
 * seccomp filter that forbids it) it falls back to bytes drawn from the clock and the pid,
 * which are unpredictable enough for session keys and nonces but not for secrets: returns 0
 * with kernel randomness, -errno after the fallback. */
int mp__random_bytes(void *buf, size_t len);

/* ---- stdio and exit in a forked child (stdio.c) ---- */

/* fflush(NULL), skipped when every stream's write buffer is known to be empty. */
void mp__stdio_flush_all(void);

/* In a freshly forked child: drops what its streams hold unwritten.  That output was the
 * parent's (buffered by another thread between the parent's flush and the fork); the parent
 * writes it.  Touches nothing when nothing is buffered. */
void mp__stdio_discard_all(void);

/* In a freshly forked child: stdin becomes /dev/null, a dup of devnull_fd (the parent's, or
 * -1: then it is opened), and what stdin had buffered is dropped.  Raw system calls, whose
 * bindings the parent resolved, so the child pays no lazy binding. */
void mp__stdin_from_devnull(int devnull_fd);

/* In a freshly forked child: SIGKILL when the thread that forked it exits, and at once if the
 * parent (parent_pid) is already gone. */
void mp__die_with_parent(pid_t parent_pid);

/* _exit(code) through syscall(), whose binding the parent already resolved, so a forked child
 * leaving does not pay for lazy symbol binding. */
__attribute__((noreturn)) void mp__exit_now(int code);

/* ---- children made for the start methods (clone.c, exe_init.c) ---- */

/* fork(), for the fork start method: the pid in the parent, 0 in the child, or -errno. */
pid_t mp__fork(void);

/* fork() for the forkserver: the child is made a child of the caller's parent
 * (CLONE_PARENT), with glibc's and the library's idea of its thread id put right.  Returns the
 * pid in the caller, 0 in the child, or -errno.  Single-threaded callers only. */
pid_t mp__fork_sibling(void);

/* From a constructor of the library in an exec'd child: runs the program's own constructors
 * that have not run yet (all of them when the library is a shared object loaded before the
 * program; those after self when self is one of the program's).  Returns 0 or -ENOENT. */
int mp__run_program_constructors(int argc, char **argv, char **envp, void (*self)(void));

#endif
