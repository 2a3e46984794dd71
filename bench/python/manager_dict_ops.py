#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/manager_dict_ops.c: a forked child alternates d['k'] = i and d['k']
on a Manager().dict() proxy; operations (calls) per second, measured in the child."""
import multiprocessing
import sys
import time

import benchlib


def worker(d, n, q):
    for i in range(100):  # warm up: the child's connection to the server
        d['k'] = i
    t0 = time.perf_counter_ns()
    for i in range(0, n, 2):
        d['k'] = i
        if d['k'] != i:
            sys.exit(1)
    q.put(n / ((time.perf_counter_ns() - t0) / 1e9))


def main():
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as m:
        d = m.dict()
        q = ctx.Queue()

        def batch(iters):
            p = ctx.Process(target=worker, args=(d, iters, q))
            p.start()
            r = q.get()
            p.join()
            if p.exitcode != 0:
                sys.exit("bench: dict client failed")
            return r

        benchlib.measure("manager_dict_ops", batch, benchlib.iters(10000), batches=5)


if __name__ == "__main__":
    main()
