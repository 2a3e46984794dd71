#!/bin/sh
# SPDX-License-Identifier: MIT
# smoke.sh MP_CHAOS -- the ctest smoke of the chaos runs: ten iterations of every primitive.
# Where it may (as root, with unshare), it runs in a private /dev/shm, so that segments made
# by anything else running on the machine meanwhile are not counted as its leaks.
chaos=$1
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
  exec unshare -m sh -c 'mount -t tmpfs tmpfs /dev/shm && exec "$0" --iters 10 --seconds 20' "$chaos"
fi
exec "$chaos" --iters 10 --seconds 20
