#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/mpi/mpi_pool_map_chunk1.c: the MPI row's work on Python's own Pool, on
the same machine -- Pool(3).map(f, range(n), chunksize=1) of trivial tasks, tasks per second
(3 workers, as the C side has 3 worker ranks)."""
import pool_map_chunk1

if __name__ == "__main__":
    pool_map_chunk1.run("mpi_pool_map_chunk1", 20000, processes=3)
