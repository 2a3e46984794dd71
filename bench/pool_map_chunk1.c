/* SPDX-License-Identifier: MIT */
/* pool_map_chunk1.c -- workload "pool_map_chunk1": Pool.map of 100 k trivial tasks with
 * chunksize 1, so every task is scheduled (claimed, run, completed) on its own.  Tasks per
 * second, higher is better.  multiproc: mp_pool_map_array(..., chunksize 1, MP_FOREVER).  limit: raw_pool.h
 * with one fetch-add claim per task.  Python twin: python/pool_map_chunk1.py. */
#include "pool_map_common.h"

int main(void) { return pool_map_main("pool_map_chunk1", 100000, 1, 3, 0); }
