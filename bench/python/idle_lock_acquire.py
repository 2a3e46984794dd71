#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/idle_lock_acquire.c: CPU while blocked in Lock().acquire(timeout=...)
with a child holding the lock, until the timeout."""
import multiprocessing

import idle_common


def hold(lock, held, release):
    with lock:
        held.set()
        release.wait()


def main():
    ctx = multiprocessing.get_context("fork")
    lock, held, release = ctx.Lock(), ctx.Event(), ctx.Event()
    p = ctx.Process(target=hold, args=(lock, held, release))
    p.start()
    held.wait()

    def block(secs):
        if lock.acquire(timeout=secs):
            raise SystemExit("bench: acquired a lock the child holds")

    idle_common.run("idle_lock_acquire", block)
    release.set()
    p.join()


if __name__ == "__main__":
    main()
