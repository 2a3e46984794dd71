#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/connection_auth.c: multiprocessing.connection.Client with an authkey
connects to a Listener accepting in a child process over TCP on 127.0.0.1 (the HMAC
challenge both ways); microseconds per connection."""
import multiprocessing
import sys
import time
from multiprocessing import connection

import benchlib

KEY = b"bench auth key"


def serve(listener, n):
    for _ in range(n):
        listener.accept().close()


def main():
    ctx = multiprocessing.get_context("fork")

    def batch(iters):
        listener = connection.Listener(("127.0.0.1", 0), authkey=KEY)
        p = ctx.Process(target=serve, args=(listener, iters))
        p.start()
        address = listener.address
        t0 = time.perf_counter_ns()
        for _ in range(iters):
            connection.Client(address, authkey=KEY).close()
        dt = time.perf_counter_ns() - t0
        p.join()
        listener.close()
        if p.exitcode != 0:
            sys.exit("bench: listener child failed")
        return dt / 1000.0 / iters

    benchlib.measure("connection_auth", batch, benchlib.iters(300))


if __name__ == "__main__":
    main()
