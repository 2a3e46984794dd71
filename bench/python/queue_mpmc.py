#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/queue_mpmc.c: 2 producer and 2 consumer processes share one
multiprocessing.Queue() of 8-byte messages; messages per second through the queue."""
import multiprocessing
import sys
import time

import benchlib


def producer(q, n):
    for i in range(n):
        q.put(i.to_bytes(8, "little"))


def consumer(q, n):
    for _ in range(n):
        q.get()


def main():
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()

    def batch(iters):
        n = iters // 2
        t0 = time.perf_counter_ns()
        ps = [ctx.Process(target=f, args=(q, n)) for f in (producer, producer, consumer, consumer)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
            if p.exitcode != 0:
                sys.exit("bench: worker failed")
        dt = time.perf_counter_ns() - t0
        return 2 * n / (dt / 1e9)

    benchlib.measure("queue_mpmc", batch, benchlib.iters(100000))


if __name__ == "__main__":
    main()
