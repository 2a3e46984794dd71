/* SPDX-License-Identifier: MIT */
/* server_image.c -- a manager's server started by forkserver or spawn: the server runs in
 * another image of the program, so the handle it serves is rebuilt there from a copy of its
 * settings (the shared state is in the heap, at the same address), and each registered type is
 * found again by its type id in the program-wide table that MP_MANAGER_TYPE fills at load. */
#include <stdlib.h>
#include <string.h>

#include "manager/mgr_internal.h"
#include "process/process_internal.h"
#include "start/start_internal.h"

typedef struct server_boot {
  uint64_t sh;
  char address[128];
  uint32_t has_address;
  uint32_t authkey_len;
  unsigned char authkey[MP_MANAGER_AUTHKEY_MAX];
  mp_manager_listen_opts listen;
  uint32_t ntypes;
  /* then ntypes type ids of MP_MANAGER_TYPEID_MAX bytes */
} server_boot;

int mp_manager_register_type(const mp_manager_type *type) {
  if (type == NULL || type->type_id == NULL) return -EINVAL;
  return mp__register_object(type->type_id, MP__OBJ_MANAGER_TYPE, type);
}

/* Whether t (a copy made by mp_manager_register) is the type registered under its id. */
static bool registered_as(const mp_manager_type *t) {
  const mp_manager_type *r = mp__object_named(MP__OBJ_MANAGER_TYPE, t->type_id);
  return r && r->create == t->create && r->callable == t->callable &&
         (r->shares == t->shares || (r->shares && t->shares && !strcmp(r->shares, t->shares))) &&
         r->methods == t->methods && r->nmethods == t->nmethods && r->arg == t->arg;
}

static int foreign_server_main(void *payload, size_t len) {
  server_boot sb;
  if (len < sizeof sb) return 255;
  memcpy(&sb, payload, sizeof sb);
  if (len != sizeof sb + (size_t)sb.ntypes * MP_MANAGER_TYPEID_MAX) return 255;
  mp_manager *m = NULL;
  mp_manager_opts o = {.address = sb.has_address ? sb.address : NULL,
                       .authkey = sb.authkey,
                       .authkey_len = sb.authkey_len};
  if (mp_manager_new(&m, &o) != 0 || mp_manager_set_listen_opts(m, &sb.listen) != 0) {
    mp_manager_free(m);
    return 255;
  }
  const char *ids = (const char *)payload + sizeof sb;
  for (uint32_t i = 0; i < sb.ntypes; i++) {
    const mp_manager_type *t =
        mp__object_named(MP__OBJ_MANAGER_TYPE, ids + (size_t)i * MP_MANAGER_TYPEID_MAX);
    if (t == NULL || mp_manager_register(m, t) != 0) {
      mp_log(MP_LOG_ERROR, "manager server: this image has no type registered as %s",
             ids + (size_t)i * MP_MANAGER_TYPEID_MAX);
      return 255;
    }
  }
  free(payload);
  m->sh = (mgr_shared *)(uintptr_t)sb.sh;
  return mp__mgr_server_main(m);
}
MP__ENTRY(foreign_server_main);

int mp__mgr_server_process(mp_manager *m, const mp_process_opts *o, mp_process **out) {
  for (size_t i = 0; i < m->ntypes; i++)
    if (!registered_as(m->types[i].custom)) return MP_ENOTREG;
  size_t len = sizeof(server_boot) + m->ntypes * MP_MANAGER_TYPEID_MAX;
  char *payload = calloc(1, len);
  if (payload == NULL) return -ENOMEM;
  server_boot *sb = (server_boot *)(void *)payload;
  sb->sh = (uint64_t)(uintptr_t)m->sh;
  memcpy(sb->address, m->address, sizeof sb->address);
  sb->has_address = m->has_address;
  sb->authkey_len = (uint32_t)m->authkey_len;
  memcpy(sb->authkey, m->authkey, m->authkey_len);
  sb->listen = m->listen;
  sb->ntypes = (uint32_t)m->ntypes;
  for (size_t i = 0; i < m->ntypes; i++)
    memcpy(payload + sizeof *sb + i * MP_MANAGER_TYPEID_MAX, m->types[i].name,
           MP_MANAGER_TYPEID_MAX);
  return mp__process_new_entry(out, m->method, foreign_server_main, payload, len, o);
}
