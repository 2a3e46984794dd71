#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/lock_handoff.c: two processes hand control back and forth through two
multiprocessing.Events (set, wait, clear); microseconds per round trip."""
import multiprocessing
import sys
import time

import benchlib


def responder(ping, pong, n):
    for _ in range(n):
        ping.wait()
        ping.clear()
        pong.set()


def main():
    ctx = multiprocessing.get_context("fork")
    ping, pong = ctx.Event(), ctx.Event()

    def batch(iters):
        p = ctx.Process(target=responder, args=(ping, pong, iters))
        p.start()
        t0 = time.perf_counter_ns()
        for _ in range(iters):
            ping.set()
            pong.wait()
            pong.clear()
        dt = time.perf_counter_ns() - t0
        p.join()
        if p.exitcode != 0:
            sys.exit("bench: responder failed")
        return dt / 1000.0 / iters

    benchlib.measure("lock_handoff", batch, benchlib.iters(5000))


if __name__ == "__main__":
    main()
