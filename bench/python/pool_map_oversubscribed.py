#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/pool_map_oversubscribed.c: Pool(32).map(f, range(n), chunksize=1) of
trivial tasks, each scheduled on its own, on 32 workers whatever the machine has; tasks per
second.  100 k tasks per map, as the C side."""
import pool_map_chunk1

if __name__ == "__main__":
    pool_map_chunk1.run("pool_map_oversubscribed", 100000, processes=32, batches=3)
