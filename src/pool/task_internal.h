/* SPDX-License-Identifier: MIT */
/* task_internal.h -- the task handle given to task functions, and the per-thread error message
 * of the task running on this thread. */
#ifndef MP_POOL_TASK_INTERNAL_H
#define MP_POOL_TASK_INTERNAL_H

#include "multiproc/pool_backend.h"
#include "pool/pool_internal.h"

struct mp_task {
  pool_job *job; /* NULL for the task of a process (mp_process_new_task) */
  uint64_t index;
  int store_error; /* a result that could not be stored fails the task */
  /* A process's task: its argument, and whether it is raw bytes or an encoding. */
  const void *arg;
  size_t arg_len;
  bool arg_raw;
  /* A task run for a backend (mp_task_run): where its result goes instead of a job. */
  struct mp_task_outcome *sink;
};

extern _Thread_local char mp__task_msg[MP_TASK_MSG_MAX];
extern _Thread_local bool mp__task_running;

#endif
