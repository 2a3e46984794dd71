/* SPDX-License-Identifier: MIT */
/* sync_internal.h -- layouts shared between sync primitives. */
#ifndef MP_SYNC_INTERNAL_H
#define MP_SYNC_INTERNAL_H

#include "os/olock.h"

/* RLock's layout, shared with condition.c (which releases it fully around a wait). */
typedef struct mp__rlock_impl {
  mp__olock lk;
  uint32_t count; /* touched only by the owner */
} mp__rlock_impl;

#endif
