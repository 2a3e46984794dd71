/* SPDX-License-Identifier: MIT */
/* multiproc.h -- Python's multiprocessing for C programs on Linux.  Include this one header;
 * the areas live under multiproc/.  docs/ARCHITECTURE.md maps them to source files. */
#ifndef MULTIPROC_H
#define MULTIPROC_H

#include "multiproc/common.h"
#include "multiproc/connection.h"
#include "multiproc/heap.h"
#include "multiproc/interrupt.h"
#include "multiproc/listener.h"
#include "multiproc/log.h"
#include "multiproc/manager.h"
#include "multiproc/obj.h"
#include "multiproc/pool.h"
#include "multiproc/process.h"
#include "multiproc/queue.h"
#include "multiproc/shared.h"
#include "multiproc/shm.h"
#include "multiproc/start.h"
#include "multiproc/sync.h"

#endif
