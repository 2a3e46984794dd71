/* SPDX-License-Identifier: MIT */
/* process_start_join_forkserver.c -- workload "process_start_join_forkserver": one short-lived
 * child made by the forkserver (see process_start_exec.h). */
#include "process_start_exec.h"

int main(int argc, char **argv) {
  return bench_exec_main(argc, argv, "process_start_join_forkserver", MP_START_FORKSERVER, 100, 11);
}
