/* SPDX-License-Identifier: MIT */
/* consumer.c -- built against an installed multiproc: start a child, join it, check its code;
 * make a listener (which needs libcrypto). */
#include <multiproc.h>
#include <stdio.h>

static int child(void *arg) { return *(int *)arg; }

int main(void) {
  int want = 42, code = -1;
  mp_process *p;
  if (mp_process_new(&p, child, &want, NULL) || mp_process_start(p) || mp_process_join(p, 10000) ||
      mp_process_exitcode(p, &code) || code != want) {
    fprintf(stderr, "consumer: unexpected result (exitcode %d)\n", code);
    return 1;
  }
  mp_process_free(p);
  /* A listener makes its name with libcrypto's random bytes, so a static consumer must get
   * libcrypto from the package's link interface. */
  mp_listener *l;
  mp_listener_opts o = {.authkey = "key", .authkey_len = 3};
  if (mp_listener_new(&l, NULL, &o) != 0 || mp_listener_address(l)[0] != '@') {
    fprintf(stderr, "consumer: no listener\n");
    return 1;
  }
  mp_listener_free(l);
  printf("consumer ok: %s %s\n", MP_VERSION_STRING, mp_strerror(MP_EOF));
  return 0;
}
