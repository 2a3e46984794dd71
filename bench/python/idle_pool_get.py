#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python twin of bench/idle_pool_get.c: CPU while blocked in
Pool().apply_async(time.sleep, ...).get(), the pool's other workers idle."""
import multiprocessing
import time

import idle_common


def main():
    with multiprocessing.get_context("fork").Pool() as pool:
        idle_common.run("idle_pool_get", lambda secs: pool.apply_async(time.sleep, (secs,)).get())


if __name__ == "__main__":
    main()
