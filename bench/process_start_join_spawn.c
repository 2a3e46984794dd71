/* SPDX-License-Identifier: MIT */
/* process_start_join_spawn.c -- workload "process_start_join_spawn": one short-lived child
 * exec'd by the spawn start method (see process_start_exec.h). */
#include "process_start_exec.h"

int main(int argc, char **argv) {
  return bench_exec_main(argc, argv, "process_start_join_spawn", MP_START_SPAWN, 40, 11);
}
