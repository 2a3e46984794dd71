#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/idle_queue_get.c: CPU while blocked in Queue().get(timeout=...) on an
empty queue, until the timeout."""
import multiprocessing
import queue

import idle_common


def main():
    q = multiprocessing.get_context("fork").Queue()

    def block(secs):
        try:
            q.get(timeout=secs)
        except queue.Empty:
            pass

    idle_common.run("idle_queue_get", block)


if __name__ == "__main__":
    main()
