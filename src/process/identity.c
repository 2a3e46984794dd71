/* SPDX-License-Identifier: MIT */
/* identity.c -- who the calling process is (current_process), who its parent is
 * (parent_process), and how children are numbered and named ("Process-1:2"). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os/os.h"
#include "process/process_internal.h"

static mp_process self = {.kind = MP__PROC_SELF, .name = "MainProcess", .pidfd = -1};
static mp_process parent = {.kind = MP__PROC_PARENT, .pidfd = -1};
static bool has_parent;
/* Python's _process_counter: numbers children from 1, restarting in every new process. */
static atomic_uint next_child = 1;

mp_process *mp_current_process(void) { return &self; }

/* Log records name the process from self.name, which every rename writes in place. */
__attribute__((constructor)) static void name_the_logs(void) { mp__log_name_from(self.name); }

mp_process *mp_parent_process(void) { return has_parent ? &parent : NULL; }

/* Appends src to dst (holding *len chars) within MP_PROCESS_NAME_MAX; false if it was cut. */
static bool append(char dst[MP_PROCESS_NAME_MAX], size_t *len, const char *src) {
  while (*src && *len + 1 < MP_PROCESS_NAME_MAX) dst[(*len)++] = *src++;
  dst[*len] = '\0';
  return *src == '\0';
}

void mp__identity_next(char ident[MP_PROCESS_NAME_MAX], char name[MP_PROCESS_NAME_MAX]) {
  unsigned n = atomic_fetch_add(&next_child, 1);
  /* Formatted by hand rather than with snprintf: printf's deep stack frames would touch a
   * stack page that the last fork made copy-on-write, one more page fault per child. */
  char digits[16];
  char *d = digits + sizeof digits;
  *--d = '\0';
  do *--d = (char)('0' + n % 10);
  while ((n /= 10) != 0);
  size_t ilen = 0, nlen = 0;
  bool whole = true;
  ident[0] = '\0';
  if (self.ident[0]) whole = append(ident, &ilen, self.ident) && append(ident, &ilen, ":");
  whole = append(ident, &ilen, d) && whole;
  name[0] = '\0';
  whole = append(name, &nlen, "Process-") && append(name, &nlen, ident) && whole;
  /* Very deep process trees outgrow the fixed buffers; the names are then cut, which only
   * affects their display. */
  if (!whole) mp__log(MP_LOG_DEBUG, "process identity %s cut to fit", ident);
}

void mp__identity_enter_child(const mp_process *p) {
  /* The parent's pidfd (if the parent was itself a child that had looked at its own parent)
   * belongs to the grandparent: drop it. */
  mp__close(parent.pidfd);
  parent.pidfd = -1;
  memcpy(parent.name, self.name, sizeof parent.name);
  memcpy(parent.ident, self.ident, sizeof parent.ident);
  parent.pid = p->owner_pid;
  parent.daemon = self.daemon;
  has_parent = true;

  memcpy(self.name, p->name, sizeof self.name);
  memcpy(self.ident, p->ident, sizeof self.ident);
  self.daemon = p->daemon;
  atomic_store(&next_child, 1);
}

void mp__identity_adopt(const char *name, const char *ident, bool daemon, pid_t parent_pid,
                        const char *parent_name, const char *parent_ident) {
  mp__close(parent.pidfd);
  parent.pidfd = -1;
  snprintf(parent.name, sizeof parent.name, "%s", parent_name);
  snprintf(parent.ident, sizeof parent.ident, "%s", parent_ident);
  parent.pid = parent_pid;
  has_parent = true;
  snprintf(self.name, sizeof self.name, "%s", name);
  snprintf(self.ident, sizeof self.ident, "%s", ident);
  self.daemon = daemon;
  atomic_store(&next_child, 1);
}

const char *mp__identity_of(const mp_process *p) { return p->ident; }

bool mp__parent_is_alive(mp_process *par) {
  /* When the parent dies the kernel reparents us at once, so this cannot be fooled by the
   * parent's pid being reused. */
  return getppid() == par->pid;
}

/* Opens a pidfd on the parent the first time one is needed.  The getppid() check after the
 * open makes sure the pid still named our parent when the fd was taken. */
static int parent_pidfd(mp_process *par) {
  /* Under the registry lock, so that two threads asking at once open one fd, not two. */
  mp__registry_lock();
  int fd = par->pidfd;
  if (fd < 0) {
    fd = mp__pidfd_open(par->pid);
    if (fd < 0) {
      fd = fd == -ESRCH ? MP_ESTATE : fd;
    } else if (getppid() != par->pid) {
      mp__close(fd);
      fd = MP_ESTATE;
    } else {
      par->pidfd = fd;
    }
  }
  mp__registry_unlock();
  return fd;
}

int mp__parent_join(mp_process *par, mp_timeout_ms timeout) {
  int fd = parent_pidfd(par);
  if (fd == MP_ESTATE) return 0; /* already gone */
  if (fd < 0) return fd;
  int r = mp__poll_readable(fd, mp__deadline_in(timeout));
  if (r < 0) return r;
  return r ? 0 : MP_ETIMEDOUT;
}

int mp__parent_sentinel(mp_process *par) { return parent_pidfd(par); }
