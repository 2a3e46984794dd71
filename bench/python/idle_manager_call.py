#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/idle_manager_call.c: CPU (caller and server) while blocked in
Manager().Queue().get(timeout=...) on an empty queue, until the timeout."""
import multiprocessing
import queue

import idle_common


def main():
    with multiprocessing.get_context("fork").Manager() as m:
        q = m.Queue()

        def block(secs):
            try:
                q.get(timeout=secs)
            except queue.Empty:
                pass

        idle_common.run("idle_manager_call", block)


if __name__ == "__main__":
    main()
