/* SPDX-License-Identifier: MIT */
/* shm.c -- named shared memory (SharedMemory) with cleanup that survives SIGKILL and needs no
 * tracker process.  docs/shared_memory.md explains the scheme; in short:
 *
 *  - a segment made here is a /dev/shm file carrying a mark (the sticky bit, S_ISVTX, which
 *    nothing else sets on shm files) and, for as long as it is in use, an open-file-description
 *    (OFD) read lock on byte 0 held by each user;
 *  - the file is made with O_TMPFILE, locked and marked, and only then linked under its name,
 *    so a name never exists without a user lock;
 *  - a child forked while a handle is open reopens the file (pthread_atfork) to get an OFD
 *    and a lock of its own;
 *  - closing a user handle takes an exclusive lock on byte 1 (so closers run one at a time),
 *    unmaps, and tries to turn its byte-0 lock into a write lock: that succeeds only when no
 *    other OFD holds a lock, i.e. no other user is alive, and then the closer unlinks;
 *  - the kernel drops a killed process's OFD locks when its last reference goes, so a sweep
 *    (mp_shm_sweep) can tell abandoned segments from used ones with one non-blocking lock try.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "multiproc/shm.h"
#include "os/os.h"

#define SHM_DIR "/dev/shm"

struct mp_shm {
  char name[MP_SHM_NAME_MAX + 1];
  int fd; /* -1 once closed */
  void *buf; /* NULL once closed */
  size_t size;
  bool user; /* created here or inherited from a user: holds the byte-0 lock */
  dev_t dev;
  ino_t ino;
  struct mp_shm *next; /* the process's list of open user handles */
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static mp_shm *registry; /* open user handles of this process */
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

/* ---- OFD locks ---- */

static int ofd_lock(int fd, short type, off_t byte, bool wait) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1};
  for (;;) {
    if (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

/* ---- the per-process registry, fork and exit ---- */

static void atfork_prepare(void) { pthread_mutex_lock(&registry_mu); }
static void atfork_parent(void) { pthread_mutex_unlock(&registry_mu); }

/* In the child: give every open user handle an OFD of its own, with its own byte-0 lock, in
 * place of the inherited fd (same number), so that the child counts as a user by itself.
 * Only async-signal-safe calls here. */
static void fd_path(char out[32], int fd) {
  static const char pre[] = "/proc/self/fd/";
  char digits[12];
  int n = 0;
  unsigned v = (unsigned)fd;
  do digits[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  memcpy(out, pre, sizeof pre - 1);
  for (int i = 0; i < n; i++) out[sizeof pre - 1 + (size_t)i] = digits[n - 1 - i];
  out[sizeof pre - 1 + (size_t)n] = 0;
}

static void atfork_child(void) {
  for (mp_shm *h = registry; h; h = h->next) {
    char path[32];
    fd_path(path, h->fd); /* no snprintf: only async-signal-safe calls after fork */
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) continue; /* the inherited OFD still counts for us while we live */
    if (ofd_lock(fd, F_RDLCK, 0, false) == 0 && dup3(fd, h->fd, O_CLOEXEC) >= 0) {
      close(fd);
      continue;
    }
    close(fd);
  }
  pthread_mutex_unlock(&registry_mu);
}

/* At exit(): close what is still open (unlinking where this process is the last user), then
 * sweep what killed processes left. */
static void at_exit(void) {
  for (;;) {
    pthread_mutex_lock(&registry_mu);
    mp_shm *h = registry;
    pthread_mutex_unlock(&registry_mu);
    if (h == NULL) break;
    mp_shm_close(h);
  }
  mp_shm_sweep();
}

static void install_hooks(void) {
  pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
  /* Also in children started by the library, which leave with _exit(). */
  (void)mp__on_exit(at_exit);
}

static void registry_add(mp_shm *h) {
  pthread_once(&hooks_once, install_hooks);
  pthread_mutex_lock(&registry_mu);
  h->next = registry;
  registry = h;
  pthread_mutex_unlock(&registry_mu);
}

static void registry_remove(mp_shm *h) {
  pthread_mutex_lock(&registry_mu);
  for (mp_shm **pp = &registry; *pp; pp = &(*pp)->next)
    if (*pp == h) {
      *pp = h->next;
      break;
    }
  pthread_mutex_unlock(&registry_mu);
}

/* ---- names ---- */

/* Drops one leading '/', then checks what remains.  0 or -EINVAL. */
static int check_name(const char *name, const char **out) {
  if (name == NULL) return -EINVAL;
  if (name[0] == '/') name++;
  size_t n = strlen(name);
  if (n == 0 || n > MP_SHM_NAME_MAX || strchr(name, '/') || !strcmp(name, ".") ||
      !strcmp(name, ".."))
    return -EINVAL;
  *out = name;
  return 0;
}

/* Whether /dev/shm/name is the file open as fd. */
static bool name_is(int dirfd, const char *name, dev_t dev, ino_t ino) {
  struct stat st;
  return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == dev &&
         st.st_ino == ino;
}

static int unlink_if_same(const char *name, dev_t dev, ino_t ino) {
  int dirfd = open(SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return -errno;
  int rc = -ENOENT;
  if (name_is(dirfd, name, dev, ino)) rc = unlinkat(dirfd, name, 0) == 0 ? 0 : -errno;
  close(dirfd);
  return rc;
}

/* ---- create, attach ---- */

static int map(mp_shm *h) { return mp__map_shared(h->fd, h->size, NULL, 0, &h->buf); }

static int make_segment(mp_shm *h, size_t size, bool generated) {
  int fd = open(SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  int rc = ofd_lock(fd, F_RDLCK, 0, false);
  if (rc == 0 && fchmod(fd, S_ISVTX | 0600) < 0) rc = -errno;
  if (rc == 0 && ftruncate(fd, (off_t)size) < 0) rc = -errno;
  struct stat st;
  if (rc == 0 && fstat(fd, &st) < 0) rc = -errno;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  for (int tries = 0; rc == 0; tries++) {
    if (generated) {
      uint64_t r = 0;
      if (mp__random_bytes(&r, sizeof r) != 0) r ^= (uint64_t)st.st_ino * 0x9e37u;
      snprintf(h->name, sizeof h->name, MP_SHM_PREFIX "%d-%016llx", (int)getpid(),
               (unsigned long long)r);
    }
    char full[sizeof SHM_DIR + MP_SHM_NAME_MAX + 2];
    snprintf(full, sizeof full, SHM_DIR "/%s", h->name);
    if (linkat(AT_FDCWD, path, AT_FDCWD, full, AT_SYMLINK_FOLLOW) == 0) break;
    rc = -errno;
    if (rc == -EEXIST && generated && tries < 16) rc = 0;
  }
  if (rc < 0) {
    close(fd);
    return rc;
  }
  h->fd = fd;
  h->size = size;
  h->dev = st.st_dev;
  h->ino = st.st_ino;
  h->user = true;
  rc = map(h);
  if (rc < 0) {
    unlink_if_same(h->name, h->dev, h->ino);
    close(fd);
    h->fd = -1;
  }
  return rc;
}

int mp_shm_create(mp_shm **out, const char *name, size_t size) {
  if (out == NULL) return -EINVAL;
  *out = NULL;
  const char *nm = NULL;
  if (size == 0 || size > (size_t)INT64_MAX) return -EINVAL;
  if (name && check_name(name, &nm) < 0) return -EINVAL;
  mp_shm_sweep();
  mp_shm *h = calloc(1, sizeof *h);
  if (h == NULL) return -ENOMEM;
  h->fd = -1;
  if (nm) snprintf(h->name, sizeof h->name, "%s", nm);
  int rc = make_segment(h, size, nm == NULL);
  if (rc < 0) {
    free(h);
    return rc;
  }
  registry_add(h);
  *out = h;
  return 0;
}

int mp_shm_attach(mp_shm **out, const char *name) {
  if (out == NULL) return -EINVAL;
  *out = NULL;
  const char *nm;
  if (check_name(name, &nm) < 0) return -EINVAL;
  mp_shm *h = calloc(1, sizeof *h);
  if (h == NULL) return -ENOMEM;
  snprintf(h->name, sizeof h->name, "%s", nm);
  char full[sizeof SHM_DIR + MP_SHM_NAME_MAX + 2];
  snprintf(full, sizeof full, SHM_DIR "/%s", nm);
  int rc = 0;
  h->fd = open(full, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  if (h->fd < 0 || fstat(h->fd, &st) < 0)
    rc = -errno;
  else if (!S_ISREG(st.st_mode) || st.st_size <= 0)
    rc = -EINVAL;
  if (rc == 0) {
    h->size = (size_t)st.st_size;
    h->dev = st.st_dev;
    h->ino = st.st_ino;
    rc = map(h);
  }
  if (rc < 0) {
    if (h->fd >= 0) close(h->fd);
    free(h);
    return rc;
  }
  *out = h;
  return 0;
}

/* ---- accessors ---- */

const char *mp_shm_name(const mp_shm *shm) { return shm ? shm->name : ""; }
size_t mp_shm_size(const mp_shm *shm) { return shm ? shm->size : 0; }
void *mp_shm_buf(const mp_shm *shm) { return shm ? shm->buf : NULL; }

/* ---- close, unlink, free ---- */

int mp_shm_close(mp_shm *h) {
  if (h == NULL) return -EINVAL;
  if (h->fd < 0) return 0;
  if (h->user) registry_remove(h);
  mp__unmap(h->buf, h->size);
  h->buf = NULL;
  if (h->user) {
    /* One closer at a time; then, if our read lock can become a write lock, no other user's
     * OFD is alive (ours was the last reference to any inherited one: we just unmapped). */
    if (ofd_lock(h->fd, F_WRLCK, 1, true) == 0 && ofd_lock(h->fd, F_WRLCK, 0, false) == 0)
      unlink_if_same(h->name, h->dev, h->ino);
  }
  close(h->fd); /* drops our locks */
  h->fd = -1;
  return 0;
}

int mp_shm_unlink(mp_shm *h) {
  if (h == NULL) return -EINVAL;
  return unlink_if_same(h->name, h->dev, h->ino);
}

void mp_shm_free(mp_shm *h) {
  if (h == NULL) return;
  mp_shm_close(h);
  free(h);
}

/* ---- the sweep ---- */

int mp_shm_sweep(void) {
  int dirfd = open(SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return -errno;
  DIR *d = fdopendir(dirfd);
  if (d == NULL) {
    int e = -errno;
    close(dirfd);
    return e;
  }
  int count = 0;
  uid_t me = geteuid();
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    if (e->d_name[0] == '.') continue;
    if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    if (!S_ISREG(st.st_mode) || !(st.st_mode & S_ISVTX) || st.st_uid != me) continue;
    int fd = openat(dirfd, e->d_name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) continue;
    struct stat fst;
    /* A write lock on byte 0 is granted only when no user holds its read lock. */
    if (fstat(fd, &fst) == 0 && (fst.st_mode & S_ISVTX) && ofd_lock(fd, F_WRLCK, 0, false) == 0 &&
        name_is(dirfd, e->d_name, fst.st_dev, fst.st_ino) && unlinkat(dirfd, e->d_name, 0) == 0)
      count++;
    close(fd);
  }
  closedir(d);
  return count;
}
