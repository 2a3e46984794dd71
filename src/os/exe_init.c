/* SPDX-License-Identifier: MIT */
/* exe_init.c -- running the program's own constructors from inside the library's.
 *
 * An exec'd child of the spawn and forkserver start methods must run a named task, not main().
 * The library notices it is such a child in a constructor of its own -- but when the library
 * is a shared object, its constructors run before the program's, so the program's (which
 * register its tasks with MP_TASK, build C++ statics, ...) have not run yet.  This runs them,
 * once, as the startup code would have, from the program's dynamic section: DT_INIT, then
 * DT_INIT_ARRAY.  When the library is linked into the program itself, its constructor is one
 * of the program's: then only the entries after it are left to run. */
#include <elf.h>
#include <link.h>
#include <stddef.h>

#include "os/os.h"

typedef void (*init_fn)(int, char **, char **);

typedef struct exe_init {
  bool found;
  init_fn init; /* DT_INIT, or NULL */
  init_fn *array; /* DT_INIT_ARRAY */
  size_t n;
} exe_init;

static int first_object(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  exe_init *e = data;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
    const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    for (; d->d_tag != DT_NULL; d++) {
      /* ld.so adjusts some tags of the dynamic section in place, but not these two. */
      if (d->d_tag == DT_INIT)
        e->init = (init_fn)(info->dlpi_addr + d->d_un.d_ptr);
      else if (d->d_tag == DT_INIT_ARRAY)
        e->array = (init_fn *)(info->dlpi_addr + d->d_un.d_ptr);
      else if (d->d_tag == DT_INIT_ARRAYSZ)
        e->n = d->d_un.d_val / sizeof(init_fn);
    }
  }
  e->found = true;
  return 1; /* the first object listed is the program: stop there */
}

int mp__run_program_constructors(int argc, char **argv, char **envp, void (*self)(void)) {
  exe_init e = {0};
  dl_iterate_phdr(first_object, &e);
  if (!e.found) return -ENOENT;
  size_t from = 0;
  bool inside = false;
  for (size_t i = 0; i < e.n && e.array; i++)
    if ((void (*)(void))e.array[i] == self) {
      from = i + 1;
      inside = true;
    }
  if (!inside && e.init) e.init(argc, argv, envp);
  for (size_t i = from; i < e.n && e.array; i++) {
    /* (init_fn)-1 and 0 are markers some linkers leave at the ends. */
    if (e.array[i] == NULL || e.array[i] == (init_fn)(uintptr_t)-1) continue;
    e.array[i](argc, argv, envp);
  }
  return 0;
}
