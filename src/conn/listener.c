/* SPDX-License-Identifier: MIT */
/* listener.c -- Listener: binding an address, accepting clients (a keyed listener's
 * handshakes run side by side in pending.c), closing (and unlinking a socket file we made). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn/conn_internal.h"
#include "conn/listener_internal.h"

#define DEFAULT_BACKLOG 128
#define DEFAULT_HANDSHAKE_MS 5000
#define DEFAULT_MAX_PENDING 64

struct mp_listener {
  int fd; /* the listening socket; -1 once closed */
  int family;
  uint8_t *key; /* copy of the auth key; NULL: no authentication */
  size_t keylen;
  const char *digest; /* the challenge form: NULL (bare MD5) or a digest name */
  mp__pending pending; /* handshakes in progress (keyed listeners only) */
  bool has_pending;
  char address[MP_ADDRESS_MAX];
  /* A socket file this process created: unlinked at close if it is still the same file, and
   * only by the process that made it (a forked child closing its copy leaves it alone). */
  bool unlink_path;
  pid_t owner;
  dev_t dev;
  ino_t ino;
};

/* A fresh abstract name, like Python's arbitrary_address: unique by pid, a counter and
 * random bits, so two listeners never collide. */
static int fresh_name(char *buf) {
  static _Atomic unsigned counter;
  uint8_t r[8];
  int rc = mp__auth_random(r, sizeof r);
  if (rc < 0) return rc;
  unsigned long long x = 0;
  for (size_t i = 0; i < sizeof r; i++) x = x << 8 | r[i];
  snprintf(buf, MP_ADDRESS_MAX, "@multiproc-%d-%u-%016llx", (int)getpid(),
           atomic_fetch_add(&counter, 1), x);
  return 0;
}

static int check_opts(const mp_listener_opts *o) {
  if (o == NULL) return 0;
  if (o->authkey == NULL && o->authkey_len > 0) return -EINVAL;
  if (o->authkey_len > INT32_MAX || o->backlog < 0) return -EINVAL;
  if (o->max_pending < 0 || o->max_pending > MP_LISTENER_PENDING_MAX) return -EINVAL;
  if (o->digest != NULL && !mp__auth_digest_name(o->digest, strlen(o->digest))) return -EINVAL;
  return 0;
}

int mp_listener_new(mp_listener **out, const char *address, const mp_listener_opts *opts) {
  if (out == NULL) return -EINVAL;
  *out = NULL;
  int rc = check_opts(opts);
  if (rc < 0) return rc;
  mp_listener_opts o = opts ? *opts : (mp_listener_opts){0};
  char name[MP_ADDRESS_MAX];
  if (address == NULL) {
    rc = fresh_name(name);
    if (rc < 0) return rc;
    address = name;
  }
  mp__sockaddr addrs[MP__ADDR_MAX];
  int n = mp__addr_resolve(address, true, addrs, MP__ADDR_MAX);
  if (n < 0) return n;

  mp_listener *l = calloc(1, sizeof *l);
  if (l == NULL) return -ENOMEM;
  l->fd = -1;
  if (o.authkey != NULL) {
    l->key = malloc(o.authkey_len ? o.authkey_len : 1);
    if (l->key == NULL) {
      free(l);
      return -ENOMEM;
    }
    memcpy(l->key, o.authkey, o.authkey_len);
    l->keylen = o.authkey_len;
  }
  l->digest = o.digest ? mp__auth_digest_name(o.digest, strlen(o.digest)) : NULL;
  int backlog = o.backlog ? o.backlog : DEFAULT_BACKLOG;
  /* Take the first address of a name that can be bound. */
  for (int i = 0; i < n; i++) {
    rc = mp__net_listen(&addrs[i], backlog);
    if (rc >= 0) {
      l->fd = rc;
      l->family = addrs[i].ss.ss_family;
      break;
    }
  }
  if (l->fd < 0) goto fail;
  if (l->key != NULL) {
    rc = mp__pending_init(&l->pending, l->fd, o.max_pending ? o.max_pending : DEFAULT_MAX_PENDING,
                          o.handshake_timeout ? o.handshake_timeout : DEFAULT_HANDSHAKE_MS);
    if (rc < 0) goto fail;
    l->has_pending = true;
  }
  mp__sockaddr bound;
  if ((rc = mp__net_local_addr(l->fd, &bound)) < 0 ||
      (rc = mp__addr_format(&bound, l->address)) < 0)
    goto fail;
  if (l->family == AF_UNIX && l->address[0] != '@') {
    struct stat st;
    if (stat(l->address, &st) == 0) {
      l->unlink_path = true;
      l->owner = getpid();
      l->dev = st.st_dev;
      l->ino = st.st_ino;
    }
  }
  *out = l;
  return 0;

fail:
  mp_listener_free(l);
  return rc;
}

int mp_listener_accept(mp_listener *l, mp_conn **out, mp_timeout_ms timeout) {
  if (out != NULL) *out = NULL;
  if (l == NULL || out == NULL) return -EINVAL;
  if (l->fd < 0) return MP_ECLOSED;
  mp__deadline d = mp__deadline_in(timeout);
  bool tcp = l->family != AF_UNIX;
  if (l->has_pending)
    return mp__pending_accept(&l->pending, l->fd, tcp, l->key, l->keylen, l->digest, out, d);
  /* No key, no handshake (as Python): the next client in the backlog is the answer. */
  int fd;
  for (;;) {
    if (l->fd < 0) return MP_ECLOSED;
    fd = mp__net_accept(l->fd, tcp);
    if (fd >= 0) break;
    if (fd != -EAGAIN) return fd;
    int p = mp__conn_wait_fd(l->fd, false, d);
    if (p == 0) return MP_ETIMEDOUT;
    if (p < 0) return p;
  }
  return mp__conn_from_fd(out, fd, true, true);
}

const char *mp_listener_address(const mp_listener *l) { return l ? l->address : NULL; }

int mp_listener_fileno(const mp_listener *l) {
  if (l == NULL || l->fd < 0) return -1;
  return l->has_pending ? mp__pending_fd(&l->pending) : l->fd;
}

void mp_listener_close(mp_listener *l) {
  if (l == NULL || l->fd < 0) return;
  if (l->has_pending) mp__pending_close(&l->pending);
  l->has_pending = false;
  mp__close(l->fd);
  l->fd = -1;
  if (l->unlink_path && l->owner == getpid()) {
    struct stat st;
    if (stat(l->address, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
      (void)unlink(l->address);
  }
  l->unlink_path = false;
}

void mp_listener_free(mp_listener *l) {
  if (l == NULL) return;
  mp_listener_close(l);
  if (l->key != NULL) {
    explicit_bzero(l->key, l->keylen); /* the key should not linger in freed memory */
    free(l->key);
  }
  free(l);
}
