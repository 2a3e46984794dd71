#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/manager_remote_ops.c: a SyncManager serves on 127.0.0.1 with an
authkey; a forked child makes its own SyncManager(address, authkey), connect()s, creates a
dict and alternates d['k'] = i and d['k']; operations (calls) per second, measured in the
child."""
import multiprocessing
import sys
import time
from multiprocessing.managers import SyncManager

import benchlib

KEY = b"bench-key"


def worker(address, n, q):
    m = SyncManager(address=address, authkey=KEY)
    m.connect()
    d = m.dict()
    for i in range(100):
        d['k'] = i
    t0 = time.perf_counter_ns()
    for i in range(0, n, 2):
        d['k'] = i
        if d['k'] != i:
            sys.exit(1)
    q.put(n / ((time.perf_counter_ns() - t0) / 1e9))


def main():
    ctx = multiprocessing.get_context("fork")
    m = SyncManager(address=("127.0.0.1", 0), authkey=KEY, ctx=ctx)
    m.start()
    q = ctx.Queue()

    def batch(iters):
        p = ctx.Process(target=worker, args=(m.address, iters, q))
        p.start()
        r = q.get()
        p.join()
        if p.exitcode != 0:
            sys.exit("bench: remote dict client failed")
        return r

    benchlib.measure("manager_remote_ops", batch, benchlib.iters(4000), batches=5)
    m.shutdown()


if __name__ == "__main__":
    main()
