#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/queue_small_bounded.c: queue_small through a
multiprocessing.Queue(4096), which the producer keeps full; messages per second."""
import queue_small

if __name__ == "__main__":
    queue_small.main("queue_small_bounded", 4096)
