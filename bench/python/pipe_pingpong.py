#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/pipe_pingpong.c: two processes bounce an 8-byte message over a duplex
multiprocessing.Pipe with send_bytes/recv_bytes; microseconds per round trip."""
import multiprocessing
import sys
import time

import benchlib


def echo(parent, child, n):
    parent.close()
    for _ in range(n):
        child.send_bytes(child.recv_bytes())


def main():
    ctx = multiprocessing.get_context("fork")

    def batch(iters):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=echo, args=(parent, child, iters))
        p.start()
        child.close()
        msg = b"\0" * 8
        t0 = time.perf_counter_ns()
        for _ in range(iters):
            parent.send_bytes(msg)
            parent.recv_bytes()
        dt = time.perf_counter_ns() - t0
        p.join()
        parent.close()
        if p.exitcode != 0:
            sys.exit("bench: echo child failed")
        return dt / 1000.0 / iters

    benchlib.measure("pipe_pingpong", batch, benchlib.iters(10000))


if __name__ == "__main__":
    main()
