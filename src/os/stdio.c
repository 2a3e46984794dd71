/* SPDX-License-Identifier: MIT */
/* stdio.c -- the stdio and exit calls of a freshly forked child, made cheap.
 *
 * A child of mp_process_start() shares every page with its parent until it writes one; each
 * page it writes (and each page of code it runs for the first time) costs it a page fault, and
 * on a small VM that is a few microseconds each -- a sizeable part of a short child's life.
 * Two things here avoid such faults without changing what is printed:
 *
 *  - fflush(NULL) locks every stream and writes glibc's stream-list lock even when nothing is
 *    buffered.  stdio_pending() looks at the streams without writing anything, so the
 *    flush is skipped only when it would have written nothing.
 *  - _exit() called for the first time in a child is bound lazily by the dynamic linker there
 *    (symbol lookup, GOT write: ~7 faults), and that binding is lost with the child.
 *    syscall(), which the parent has already used to open the pidfd, is bound for good. */
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/os.h"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#include <sys/single_threaded.h>

/* glibc's list of open streams, linked through FILE::_chain (a field of the public struct).
 * Exported since glibc 2.2.5; its real type is a pointer to a struct that starts with a FILE. */
extern FILE *_IO_list_all;

/* Whether some stdio stream may hold output not yet written: false only when every stream's
 * write buffer is known to be empty (looked at without writing memory; true whenever it
 * cannot tell, e.g. while other threads exist). */
static bool stdio_pending(void) {
  /* Walking the list unlocked is only safe while no other thread can open or close a stream;
   * otherwise report "maybe" and let fflush(NULL) walk it under glibc's lock. */
  if (!__libc_single_threaded) return true;
  for (FILE *f = _IO_list_all; f != NULL; f = f->_chain) {
    /* The test glibc's own flush-all applies: a narrow stream with bytes between the start
     * of its write buffer and the write pointer.  Wide-oriented streams keep theirs in
     * _wide_data, which is not public: count them as pending. */
    if (f->_mode > 0) return true;
    if (f->_IO_write_ptr > f->_IO_write_base) return true;
  }
  return false;
}
void mp__stdio_discard_all(void) {
  for (FILE *f = _IO_list_all; f != NULL; f = f->_chain)
    if (f->_mode <= 0 && f->_IO_write_ptr > f->_IO_write_base) __fpurge(f);
}
#else
/* Whether some stdio stream may hold output not yet written: false only when every stream's
 * write buffer is known to be empty (looked at without writing memory; true whenever it
 * cannot tell, e.g. while other threads exist). */
static static bool stdio_pending(void) { return true; }
void mp__stdio_discard_all(void) {}
#endif

void mp__stdio_flush_all(void) {
  if (stdio_pending()) fflush(NULL);
}

void mp__exit_now(int code) {
  /* _exit() is exit_group() on Linux; the loop only satisfies noreturn. */
  for (;;) syscall(SYS_exit_group, code);
}

void mp__stdin_from_devnull(int devnull_fd) {
  if (devnull_fd < 0 || syscall(SYS_dup3, devnull_fd, STDIN_FILENO, 0) != STDIN_FILENO) {
    char path[] = "/dev/null";
    (void)syscall(SYS_close, STDIN_FILENO);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
    if (fd > STDIN_FILENO) { /* 0 was not free after all: put it there */
      (void)syscall(SYS_dup3, fd, STDIN_FILENO, 0);
      (void)syscall(SYS_close, fd);
    }
  }
  if (stdin->_IO_read_ptr < stdin->_IO_read_end) __fpurge(stdin);
}
