#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/queue_1mib.c: one producer process puts 1 MiB bytes messages on a
multiprocessing.Queue(), the parent gets them; MB/s (10^6 bytes) delivered."""
import multiprocessing
import sys
import time

import benchlib

MSG = 1 << 20


def producer(q, n):
    src = b"\x5a" * MSG
    for _ in range(n):
        q.put(src)


def main():
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()

    def batch(iters):
        t0 = time.perf_counter_ns()
        p = ctx.Process(target=producer, args=(q, iters))
        p.start()
        for _ in range(iters):
            if len(q.get()) != MSG:
                sys.exit("bench: bad message")
        dt = time.perf_counter_ns() - t0
        p.join()
        if p.exitcode != 0:
            sys.exit("bench: producer failed")
        return iters * MSG / (dt / 1e9) / 1e6

    benchlib.measure("queue_1mib", batch, benchlib.iters(300))


if __name__ == "__main__":
    main()
