/* SPDX-License-Identifier: MIT */
/* version.c -- the library's own version, for programs that compare it with the headers'. */
#include "internal.h"

const char *mp_version(void) { return MP_VERSION_STRING; }
