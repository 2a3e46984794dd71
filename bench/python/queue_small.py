#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/queue_small.c: one producer process puts 8-byte messages on a
multiprocessing.Queue(), the parent gets them; messages per second.  main() also runs
queue_small_bounded (python/queue_small_bounded.py)."""
import multiprocessing
import sys
import time

import benchlib


def producer(q, n):
    for i in range(n):
        q.put(i.to_bytes(8, "little"))


def main(name="queue_small", maxsize=0):
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue(maxsize)

    def batch(iters):
        t0 = time.perf_counter_ns()
        p = ctx.Process(target=producer, args=(q, iters))
        p.start()
        for _ in range(iters):
            q.get()
        dt = time.perf_counter_ns() - t0
        p.join()
        if p.exitcode != 0:
            sys.exit("bench: producer failed")
        return iters / (dt / 1e9)

    benchlib.measure(name, batch, benchlib.iters(100000))


if __name__ == "__main__":
    main()
