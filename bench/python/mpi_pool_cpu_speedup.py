#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/mpi/mpi_pool_cpu_speedup.c: serial time / Pool(workers).map time of 32
equal CPU-bound tasks, with as many workers as the C side has worker ranks (2 unless
MPI_BENCH_RANKS says otherwise)."""
import os

import pool_cpu_speedup

if __name__ == "__main__":
    workers = int(os.environ.get("MPI_BENCH_RANKS", "3")) - 1
    pool_cpu_speedup.run("mpi_pool_cpu_speedup", tasks=32, processes=workers)
