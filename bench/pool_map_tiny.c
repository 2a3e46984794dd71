/* SPDX-License-Identifier: MIT */
/* pool_map_tiny.c -- workload "pool_map_tiny": one Pool.map of 1 M trivial tasks (x -> 2x + 1)
 * with the default chunking (Python's rule: n / (4 * workers) per chunk), on a pool of
 * usable-cpu-count workers made beforehand.  Tasks per second, higher is better.
 * multiproc: mp_pool_map_array.  limit: raw_pool.h (forked workers, fetch-add chunk claims).
 * Python twin: python/pool_map_tiny.py (Pool().map(f, range(n))). */
#include "pool_map_common.h"

int main(void) { return pool_map_main("pool_map_tiny", 1000000, 0, 3, 0); }
