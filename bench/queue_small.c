/* SPDX-License-Identifier: MIT */
/* queue_small.c -- workload "queue_small": 8-byte messages from one producer process to one
 * consumer through mp_queue_new(0), unbounded as Python's Queue() (queue_small_run.h), against
 * the raw SPSC ring of raw_spsc_ring.h.  Python twin: python/queue_small.py. */
#include "queue_small_run.h"

int main(void) { return queue_small_main("queue_small", 0); }
