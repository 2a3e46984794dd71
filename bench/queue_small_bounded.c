/* SPDX-License-Identifier: MIT */
/* queue_small_bounded.c -- workload "queue_small_bounded": queue_small through a Queue of 4096
 * slots, the depth of its floor's ring and of the peers' queues, which the producer keeps full
 * (queue_small_run.h).  Python twin: python/queue_small_bounded.py. */
#include "queue_small_run.h"

int main(void) { return queue_small_main("queue_small_bounded", 4096); }
