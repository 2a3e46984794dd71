/* SPDX-License-Identifier: MIT */
/* liveness.c -- a TCP connection from every worker rank to rank 0, beside MPI.  It carries one
 * hello (rank, lanes, host name) and then nothing: its end of file tells each side that the
 * other is gone, which MPI calls never say (a receive from a dead rank simply never returns).
 *
 * Rank 0 listens on every address of its host; the addresses (non-loopback first, so that a
 * rank on another host does not reach a loopback of its own) and the port go to the workers
 * with one MPI_Bcast. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <mpi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mpi_internal.h"

#define ADDRS_MAX 16
#define HELLO_MAGIC 0x6d706831u /* "mph1" */

typedef struct where {
  uint32_t n;
  uint16_t port;
  uint16_t pad_;
  uint32_t addr[ADDRS_MAX]; /* network byte order */
} where;

typedef struct hello {
  uint32_t magic;
  int32_t rank;
  int32_t lanes;
  char host[MPI_HOST_MAX];
} hello;

static int master_fd = -1; /* a worker's connection to rank 0 */

static void local_addresses(where *w) {
  struct ifaddrs *ifa = NULL;
  uint32_t loop = htonl(INADDR_LOOPBACK);
  if (getifaddrs(&ifa) == 0) {
    for (struct ifaddrs *i = ifa; i && w->n < ADDRS_MAX - 1; i = i->ifa_next) {
      if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET) continue;
      uint32_t a = ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr;
      if ((ntohl(a) >> 24) != 127) w->addr[w->n++] = a;
    }
    freeifaddrs(ifa);
  }
  w->addr[w->n++] = loop; /* last: only a rank on this very host reaches it */
}

static int listen_any(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
  socklen_t sl = sizeof sa;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 128) ||
      getsockname(fd, (struct sockaddr *)&sa, &sl)) {
    int e = -errno;
    close(fd);
    return e;
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

/* Reads exactly len bytes before the deadline (ms on the monotonic clock). */
static int read_full(int fd, void *buf, size_t len, int64_t deadline) {
  size_t got = 0;
  while (got < len) {
    int left = (int)(deadline - (mp__mpi_now_ns() / 1000000));
    if (left <= 0) return MP_ETIMEDOUT;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r == 0 ? MP_ETIMEDOUT : -errno;
    ssize_t n = read(fd, (char *)buf + got, len - got);
    if (n == 0) return MP_EOF;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -errno;
    }
    got += (size_t)n;
  }
  return 0;
}

static int accept_all(int lfd, int64_t deadline) {
  int want = mp__mpi.size - 1, got = 0;
  while (got < want) {
    int left = (int)(deadline - (mp__mpi_now_ns() / 1000000));
    if (left <= 0) return MP_ETIMEDOUT;
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    int r = poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r == 0 ? MP_ETIMEDOUT : -errno;
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue;
    hello h;
    int rc = read_full(fd, &h, sizeof h, (mp__mpi_now_ns() / 1000000) + 5000);
    if (rc || h.magic != HELLO_MAGIC || h.rank < 1 || h.rank >= mp__mpi.size ||
        mp__mpi.ranks[h.rank].fd >= 0 || memchr(h.host, '\0', sizeof h.host) == NULL) {
      close(fd); /* not one of ours, or a second hello for a rank: ignored */
      continue;
    }
    mpi_rank_info *ri = &mp__mpi.ranks[h.rank];
    ri->fd = fd;
    ri->lanes = h.lanes > 0 ? h.lanes : 1;
    memcpy(ri->host, h.host, sizeof ri->host);
    got++;
  }
  return 0;
}

static int connect_to(uint32_t addr, uint16_t port, int64_t deadline) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = addr};
  int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
  if (rc != 0 && errno == EINPROGRESS) {
    int left = (int)(deadline - (mp__mpi_now_ns() / 1000000));
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t el = sizeof err;
    if (left <= 0 || poll(&p, 1, left) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) ||
        err != 0)
      rc = -1;
    else
      rc = 0;
  }
  if (rc != 0) {
    close(fd);
    return -ECONNREFUSED;
  }
  (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

int mp__liveness_connect(mp_timeout_ms timeout_ms) {
  int64_t deadline = (mp__mpi_now_ns() / 1000000) + timeout_ms;
  where w = {0};
  int lfd = -1, rc = 0;
  if (mp__mpi.rank == 0) {
    lfd = listen_any(&w.port);
    if (lfd < 0) {
      rc = lfd;
      w.n = 0; /* tells the workers there is nothing to connect to */
    } else {
      local_addresses(&w);
    }
  }
  MPI_Bcast(&w, (int)sizeof w, MPI_BYTE, 0, MPI_COMM_WORLD);
  if (mp__mpi.rank == 0) {
    if (rc == 0) rc = accept_all(lfd, deadline);
    if (lfd >= 0) close(lfd);
    return rc;
  }
  if (w.n == 0 || w.n > ADDRS_MAX) return -ECONNREFUSED;
  hello h = {.magic = HELLO_MAGIC, .rank = mp__mpi.rank, .lanes = mp__mpi.lanes};
  (void)gethostname(h.host, sizeof h.host - 1);
  for (uint32_t i = 0; i < w.n && master_fd < 0; i++) {
    int64_t d = (mp__mpi_now_ns() / 1000000) + 2000;
    int fd = connect_to(w.addr[i], w.port, d < deadline ? d : deadline);
    if (fd < 0) continue;
    if (write(fd, &h, sizeof h) != (ssize_t)sizeof h) {
      close(fd);
      continue;
    }
    master_fd = fd;
  }
  return master_fd >= 0 ? 0 : -ECONNREFUSED;
}

/* Whether the peer of fd has gone: end of file or an error, seen without waiting. */
static bool peer_gone(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return true;
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

int mp__liveness_check(void) {
  int lost = 0;
  for (int r = 1; r < mp__mpi.size; r++) {
    mpi_rank_info *ri = &mp__mpi.ranks[r];
    if (ri->lost || ri->fd < 0 || !peer_gone(ri->fd)) continue;
    mp__mpi_rank_lost(r, "its connection to rank 0 closed");
    lost++;
  }
  return lost;
}

bool mp__liveness_master_alive(void) { return master_fd >= 0 && !peer_gone(master_fd); }

void mp__liveness_ack_stop(void) {
  if (master_fd >= 0) close(master_fd);
  master_fd = -1;
}

void mp__liveness_await_acks(mp_timeout_ms timeout_ms) {
  int64_t deadline = (mp__mpi_now_ns() / 1000000) + timeout_ms;
  for (;;) {
    int open = 0;
    for (int r = 1; r < mp__mpi.size; r++) {
      mpi_rank_info *ri = &mp__mpi.ranks[r];
      if (ri->lost || ri->fd < 0) continue;
      if (peer_gone(ri->fd)) {
        close(ri->fd);
        ri->fd = -1;
      } else {
        open++;
      }
    }
    if (open == 0 || (mp__mpi_now_ns() / 1000000) >= deadline) return;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
}
