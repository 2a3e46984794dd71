#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/queue_latency.c: a ping-pong over two multiprocessing.Queues between two
processes; microseconds per round trip."""
import multiprocessing
import sys
import time

import benchlib


def responder(ping, pong, n):
    for _ in range(n):
        pong.put(ping.get())


def main():
    ctx = multiprocessing.get_context("fork")
    ping, pong = ctx.Queue(), ctx.Queue()

    def batch(iters):
        p = ctx.Process(target=responder, args=(ping, pong, iters))
        p.start()
        t0 = time.perf_counter_ns()
        for i in range(iters):
            ping.put(i)
            if pong.get() != i:
                sys.exit("bench: wrong reply")
        dt = time.perf_counter_ns() - t0
        p.join()
        if p.exitcode != 0:
            sys.exit("bench: responder failed")
        return dt / 1000.0 / iters

    benchlib.measure("queue_latency", batch, benchlib.iters(5000))


if __name__ == "__main__":
    main()
