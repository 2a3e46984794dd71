/* SPDX-License-Identifier: MIT */
/* multiproc/shm.h -- Python's multiprocessing.shared_memory.SharedMemory: named POSIX shared
 * memory segments (/dev/shm/NAME) that unrelated processes, Python ones included, can attach
 * to by name.
 *
 * Lifetime (docs/shared_memory.md tells the whole story and its limits).  A segment made with
 * mp_shm_create() is in use by the creating process and by every process forked from a user
 * while its handle was open; attachers (mp_shm_attach(), or any other program) are not users.
 * The name is unlinked when the last user closes it -- mp_shm_close(), mp_shm_free(), or the
 * exit() of a process that still has it open -- and a user killed by a signal counts as gone,
 * because the kernel drops its open-file lock.  When the last user dies without running any
 * code (SIGKILL), the name is removed by the next sweep: mp_shm_sweep(), run automatically by
 * every mp_shm_create() and at the exit() of any process that used a segment.  No tracker
 * process is involved.  Attaching, closing an attached handle or a sweep never unlinks a
 * segment that a user still has open; only mp_shm_unlink() removes a name on request.
 *
 * Handles are process-local (malloc'd) and owned by the caller.  A child forked while a handle
 * is open gets its own copy of the handle, already open, with the same buf address; it closes
 * and frees its copy independently.  Every fd the library opens is close-on-exec. */
#ifndef MULTIPROC_SHM_H
#define MULTIPROC_SHM_H

#include <stddef.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest accepted name, without the optional leading '/'. */
#define MP_SHM_NAME_MAX 200

/* The prefix of generated names: "mp-<pid>-<random hex>". */
#define MP_SHM_PREFIX "mp-"

typedef struct mp_shm mp_shm;

/* Creates a new segment of size bytes, zero-filled, and maps it (SharedMemory(name,
 * create=True, size=size)).  name may start with '/', which is dropped (as Python does), must
 * not contain another '/', and may be NULL for a generated unused name.  The name appears in
 * /dev/shm only once the segment is complete and marked in use, so no sweep can catch it
 * half-made.  *out is set to NULL on error.  Errors: -EINVAL (out NULL, size 0, bad name),
 * -EEXIST (a segment of that name exists), -ENOMEM, -EACCES, other negative errno values of
 * open/ftruncate/mmap. */
MP_EXTERN int mp_shm_create(mp_shm **out, const char *name, size_t size);

/* Attaches to the existing segment called name (SharedMemory(name)), from any process of the
 * same user, related or not.  The size is the segment's current size.  An attacher is not a
 * user: its close never unlinks the name, and the name may be unlinked while it is attached
 * (its mapping stays valid).  *out is set to NULL on error.  Errors: -EINVAL (out NULL, bad
 * name, a segment of size 0), -ENOENT (no such segment), -EACCES, -ENOMEM. */
MP_EXTERN int mp_shm_attach(mp_shm **out, const char *name);

/* The name, without a leading '/' (Python's .name).  Owned by the handle.  "" for NULL. */
MP_EXTERN const char *mp_shm_name(const mp_shm *shm);

/* The size in bytes (Python's .size); 0 for NULL. */
MP_EXTERN size_t mp_shm_size(const mp_shm *shm);

/* The mapped memory (Python's .buf), size bytes; NULL after close and for NULL.  Shared with
 * every process that maps the segment. */
MP_EXTERN void *mp_shm_buf(const mp_shm *shm);

/* Unmaps the segment and closes its fd (Python's close()); idempotent.  When the handle is a
 * user's and no other user remains, the name is unlinked, if it still names this segment.
 * Errors: -EINVAL (NULL). */
MP_EXTERN int mp_shm_close(mp_shm *shm);

/* Removes the name now (Python's unlink()), from a user or an attacher; processes that have
 * the segment mapped keep it until they close.  Only unlinks when the name still refers to
 * this very segment.  Works before or after mp_shm_close() on the handle.
 * Errors: -ENOENT (the name is gone or now names another segment), -EINVAL (NULL), -EACCES. */
MP_EXTERN int mp_shm_unlink(mp_shm *shm);

/* Closes (as mp_shm_close) and frees the handle; NULL is accepted. */
MP_EXTERN void mp_shm_free(mp_shm *shm);

/* Unlinks every segment this library created for the calling user whose users are all gone
 * (killed before they could close it).  Segments in use, attached-only segments of other
 * programs and segments not made by mp_shm_create() are never touched.  Returns how many
 * names were unlinked, or a negative errno when /dev/shm cannot be read. */
MP_EXTERN int mp_shm_sweep(void);

#ifdef __cplusplus
}
#endif
#endif
