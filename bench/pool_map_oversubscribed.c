/* SPDX-License-Identifier: MIT */
/* pool_map_oversubscribed.c -- workload "pool_map_oversubscribed": pool_map_chunk1's map of
 * 100 k trivial tasks with chunksize 1, on a pool of 32 workers whatever the machine has (16
 * per core on a 2-core machine): waiters that spin instead of sleeping would take the CPU
 * from the workers that have work, and throughput would collapse.  Tasks per second, higher
 * is better.  limit: raw_pool.h with 32 workers.  Python twin:
 * python/pool_map_oversubscribed.py (Pool(32).map(f, range(n), chunksize=1)). */
#include "pool_map_common.h"

int main(void) { return pool_map_main("pool_map_oversubscribed", 100000, 1, 3, 32); }
