#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/process_start_join_forkserver.c: the cost of one short-lived child made
with multiprocessing.get_context('forkserver'): Process(target=noop), start(), join(), close(), the
exit code checked.  One warm-up batch, then the median of BATCHES batches (smaller than the C
program's: a forkserver child costs Python far more).  Prints microseconds per child on stdout."""
import multiprocessing
import sys
import time

import benchlib

BASE_ITERS = 10
BATCHES = 5
NAME = "process_start_join_forkserver"


def noop():
    pass


def main():
    ctx = multiprocessing.get_context("forkserver")

    def batch(iters):
        t0 = time.perf_counter_ns()
        for _ in range(iters):
            p = ctx.Process(target=noop)
            p.start()
            p.join()
            if p.exitcode != 0:
                sys.exit(f"bench: python child exited with code {p.exitcode}, expected 0")
            p.close()
        return (time.perf_counter_ns() - t0) / 1000.0 / iters

    benchlib.measure(NAME, batch, benchlib.iters(BASE_ITERS), BATCHES)


if __name__ == "__main__":
    main()
