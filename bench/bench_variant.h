/* SPDX-License-Identifier: MIT */
/* bench_variant.h -- the two rows of a hand-off workload.  multiproc's waits spin for a while
 * and then sleep in the kernel; which of the two a hand-off takes depends on how soon the
 * other side answers, so each such workload is measured both ways, from one source file:
 *   <workload>        multiproc as it ships (spin, then sleep) against the spinning floor:
 *                     the same hand-off done raw with both sides spinning on shared memory;
 *   <workload>_sleep  (built with BENCH_SLEEP=1) multiproc with MP_WAIT_POLICY=passive, so
 *                     every wait sleeps at once, against the sleeping floor: the same
 *                     hand-off done raw with futex or blocking reads.
 * Either way nothing can beat its floor: it is the same mechanism with nothing added.  The cost
 * of a round trip swings from batch to batch for the raw loop as for multiproc -- by 10x where
 * two processes poll (a core each, or one shared), by tens of percent for a futex wake-up on a
 * VM -- so both floors are their best batch (opts.limit_best): the least the mechanism cost in
 * this run, set against multiproc's median. */
#ifndef MP_BENCH_VARIANT_H
#define MP_BENCH_VARIANT_H

#include <stdlib.h>

#ifndef BENCH_SLEEP
#define BENCH_SLEEP 0
#endif

#if BENCH_SLEEP
#define BENCH_VARIANT_SUFFIX "_sleep"
#else
#define BENCH_VARIANT_SUFFIX ""
#endif

/* Call first in main(): the sleeping row switches the library's waits to sleep at once
 * (before the library reads the setting, and inherited by every child). */
static inline void bench_variant_setup(void) {
  if (BENCH_SLEEP) setenv("MP_WAIT_POLICY", "passive", 1);
}

#endif
