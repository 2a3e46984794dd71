#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/process_start_join.c: the cost of one short-lived child.

Per iteration: multiprocessing.get_context('fork').Process(target=noop), start(), join(),
then close() (the counterpart of mp_process_free: it releases the sentinel fd), with the exit
code checked.  Same approach as the C workloads: one warm-up batch, then BATCHES batches and
the median of their per-iteration cost.  BENCH_SCALE scales the iterations per batch.  Prints
one number on stdout: microseconds per iteration; diagnostics go to stderr.

The batches are smaller than the C program's (a Python child costs ~10x more), so the run
stays short; the median per iteration is what is compared."""
import multiprocessing
import sys
import time

import benchlib

BASE_ITERS = 30  # children per batch at BENCH_SCALE=1
BATCHES = 15
NAME = "process_start_join"


def noop():
    pass


def main():
    ctx = multiprocessing.get_context("fork")

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
