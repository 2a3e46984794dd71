#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/lock_uncontended.c: acquire() + release() of a free
multiprocessing.Lock, pairs per second (median of batches, see benchlib)."""
import multiprocessing
import time

import benchlib


def main():
    lock = multiprocessing.get_context("fork").Lock()

    def batch(iters):
        acquire, release = lock.acquire, lock.release
        t0 = time.perf_counter_ns()
        for _ in range(iters):
            acquire()
            release()
        return iters / ((time.perf_counter_ns() - t0) / 1e9)

    benchlib.measure("lock_uncontended", batch, benchlib.iters(1000000))


if __name__ == "__main__":
    main()
