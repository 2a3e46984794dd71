/* SPDX-License-Identifier: MIT */
/* forkserver.c -- the forkserver start method.
 *
 * The server is a spawn child of the program (a fresh exec: no thread, lock or buffer of the
 * program's comes with it) that loops on one socket: it reads a start record, forks a child
 * that runs it, and answers with the child's pid.  The children are made with CLONE_PARENT
 * (os/clone.c), so they are the program's own children, as fork would have made them.
 *
 * Whose child is whose matters for a daemon, which dies with the thread that made its parent
 * (PR_SET_PDEATHSIG follows a thread, not a process).  The server is therefore started from a
 * thread of the library's own that lives as long as the process (the launcher), never from a
 * thread of the caller that may end: the server and every child it makes then die exactly when
 * the program does.  The server also ends when its socket reaches EOF -- the program is gone
 * or called mp_forkserver_stop() -- and ignores SIGINT, as Python's does, so that Ctrl-C in a
 * terminal reaches the program. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/os.h"
#include "process/process_internal.h"
#include "start/start_internal.h"

/* ---- the server ---- */

/* Reads the record's header, and the extra fd sent with its first byte, if any. */
static bool read_header(int fd, mp__boot *b) {
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } cm;
  struct iovec iov = {b, sizeof *b};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof cm.buf};
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  int passed = -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
    memcpy(&passed, CMSG_DATA(c), sizeof passed);
  if (mp__read_all(fd, (char *)b + n, sizeof *b - (size_t)n) != 0) {
    if (passed >= 0) close(passed);
    return false;
  }
  if (b->extra_fd >= 0)
    b->extra_fd = passed; /* its number here */
  else if (passed >= 0)
    close(passed);
  return true;
}

static int forkserver_main(void *payload, size_t len) {
  (void)len;
  free(payload);
  int ctl = mp__boot_socket();
  if (ctl < 0) return 2;
  signal(SIGINT, SIG_IGN);
  for (;;) {
    mp__boot b;
    if (!read_header(ctl, &b)) return 0; /* EOF: the program is gone or stopped us */
    if (b.magic != MP__BOOT_MAGIC) return 3;
    void *child_payload = malloc(b.payload_len ? b.payload_len : 1);
    if (child_payload == NULL || mp__read_all(ctl, child_payload, b.payload_len) != 0) return 4;
    pid_t pid = mp__fork_sibling();
    if (pid == 0) {
      close(ctl);
      signal(SIGINT, SIG_DFL);
      mp__boot_run(&b, child_payload);
    }
    free(child_payload);
    if (b.extra_fd >= 0) close(b.extra_fd);
    int32_t reply = (int32_t)pid;
    if (mp__send_all(ctl, &reply, sizeof reply) != 0) return 0;
  }
}
MP__ENTRY(forkserver_main);

/* ---- the program's side ---- */

typedef struct server_state {
  pthread_mutex_t mu; /* one request at a time; guards everything below */
  pid_t owner; /* the process this state belongs to (a fork child starts afresh) */
  pid_t pid; /* the server, or 0 */
  int ctl; /* our end of its socket, or -1 */
} server_state;

static server_state fs = {PTHREAD_MUTEX_INITIALIZER, 0, 0, -1};

/* The launcher thread and its one-request mailbox. */
static pthread_mutex_t launch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t launch_cv = PTHREAD_COND_INITIALIZER;
static pid_t launcher_owner; /* the process the launcher thread runs in */
static bool launch_wanted, launch_done;
static pid_t launch_pid;
static int launch_ctl;

static void start_server_here(void) {
  mp__boot b;
  int r = mp__boot_prepare(&b, "ForkServer", "", true, forkserver_main, 0);
  b.keep_socket = 1;
  int ctl = -1;
  pid_t pid = r == 0 ? mp__spawn_launch(&b, "", &ctl) : r;
  launch_pid = pid;
  launch_ctl = ctl;
}

static void *launcher_main(void *arg) {
  (void)arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL); /* the program's signals are not ours to take */
  pthread_mutex_lock(&launch_mu);
  for (;;) {
    while (!launch_wanted) pthread_cond_wait(&launch_cv, &launch_mu);
    launch_wanted = false;
    start_server_here();
    launch_done = true;
    pthread_cond_broadcast(&launch_cv);
  }
  return NULL;
}

/* In a forked child, the parent's server and launcher are not ours. */
static void forget_in_child(void) {
  pthread_mutex_init(&fs.mu, NULL);
  pthread_mutex_init(&launch_mu, NULL);
  pthread_cond_init(&launch_cv, NULL);
  if (fs.ctl >= 0) close(fs.ctl);
  fs.ctl = -1;
  fs.pid = 0;
  fs.owner = 0;
  launcher_owner = 0;
  launch_wanted = launch_done = false;
}

static void register_atfork(void) { pthread_atfork(NULL, NULL, forget_in_child); }

/* Starts the server through the launcher thread.  fs.mu held. */
static int start_server(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, register_atfork);
  pthread_mutex_lock(&launch_mu);
  if (launcher_owner != getpid()) {
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 64 * 1024);
    int e = pthread_create(&t, &a, launcher_main, NULL);
    pthread_attr_destroy(&a);
    if (e != 0) {
      pthread_mutex_unlock(&launch_mu);
      return -e;
    }
    launcher_owner = getpid();
  }
  launch_done = false;
  launch_wanted = true;
  pthread_cond_broadcast(&launch_cv);
  while (!launch_done) pthread_cond_wait(&launch_cv, &launch_mu);
  pid_t pid = launch_pid;
  int ctl = launch_ctl;
  pthread_mutex_unlock(&launch_mu);
  if (pid < 0) return pid;
  fs.pid = pid;
  fs.ctl = ctl;
  fs.owner = getpid();
  mp__log(MP_LOG_DEBUG, "forkserver started (pid %d)", (int)pid);
  return 0;
}

/* Forgets a server that failed a request, reaping it.  fs.mu held. */
static void drop_server(void) {
  if (fs.ctl >= 0) close(fs.ctl);
  fs.ctl = -1;
  if (fs.pid > 0) {
    int st;
    kill(fs.pid, SIGKILL);
    while (waitpid(fs.pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
  fs.pid = 0;
}

static int ensure_locked(void) {
  if (fs.owner != getpid()) {
    fs.pid = 0;
    fs.ctl = -1;
  }
  return fs.pid > 0 ? 0 : start_server();
}

int mp__forkserver_ensure(void) {
  pthread_mutex_lock(&fs.mu);
  int r = ensure_locked();
  pthread_mutex_unlock(&fs.mu);
  return r;
}

/* Sends the record's header with the extra fd attached, then the rest. */
static int send_header(int fd, const mp__boot *b) {
  if (b->extra_fd < 0) return mp__send_all(fd, b, sizeof *b);
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } cm;
  memset(&cm, 0, sizeof cm);
  struct iovec iov = {(void *)(uintptr_t)b, sizeof *b};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof cm.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &b->extra_fd, sizeof(int));
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  return mp__send_all(fd, (const char *)b + n, sizeof *b - (size_t)n);
}

static pid_t request(const mp__boot *b, const void *payload) {
  int r = send_header(fs.ctl, b);
  if (r == 0) r = mp__send_all(fs.ctl, payload, b->payload_len);
  if (r != 0) return r;
  int32_t reply;
  if (mp__read_all(fs.ctl, &reply, sizeof reply) != 0) return -EPIPE;
  return reply;
}

pid_t mp__forkserver_launch(const mp__boot *b, const void *payload) {
  pthread_mutex_lock(&fs.mu);
  pid_t pid = ensure_locked();
  if (pid == 0) {
    pid = request(b, payload);
    if (pid == -EPIPE || pid == -ECONNRESET) {
      /* The server died (killed, or the machine ran out of something): one fresh try. */
      mp__log(MP_LOG_WARNING, "forkserver (pid %d) is gone; starting another", (int)fs.pid);
      drop_server();
      pid = start_server();
      if (pid == 0) pid = request(b, payload);
    }
  }
  pthread_mutex_unlock(&fs.mu);
  return pid;
}

pid_t mp_forkserver_pid(void) {
  pthread_mutex_lock(&fs.mu);
  pid_t pid = fs.owner == getpid() ? fs.pid : 0;
  pthread_mutex_unlock(&fs.mu);
  return pid;
}

int mp_forkserver_stop(void) {
  pthread_mutex_lock(&fs.mu);
  int rc = 0;
  if (fs.owner == getpid() && fs.pid > 0) {
    close(fs.ctl); /* EOF: the server leaves */
    fs.ctl = -1;
    int64_t until = mp__now_ns() + INT64_C(5000000000);
    int st;
    while (waitpid(fs.pid, &st, WNOHANG) == 0) {
      if (mp__now_ns() > until) {
        kill(fs.pid, SIGKILL);
        (void)waitpid(fs.pid, &st, 0);
        rc = MP_ETIMEDOUT;
        break;
      }
      struct timespec ts = {0, 200000};
      nanosleep(&ts, NULL);
    }
    fs.pid = 0;
  }
  pthread_mutex_unlock(&fs.mu);
  return rc;
}
