/* SPDX-License-Identifier: MIT */
/* types.c -- the server's registry of type ids: the built-in types (types_*.c), the manager's
 * registered ones, and the built-in type that shares a callable='s value. */
#include <string.h>

#include "manager/mgr_internal.h"

static const mgr_type *const builtins[] = {
    &mp__mgr_type_dict,
    &mp__mgr_type_list,
    &mp__mgr_type_namespace,
    &mp__mgr_type_value,
    &mp__mgr_type_array,
    &mp__mgr_type_queue,
    &mp__mgr_type_joinable_queue,
    &mp__mgr_type_lock,
    &mp__mgr_type_rlock,
    &mp__mgr_type_semaphore,
    &mp__mgr_type_bounded_semaphore,
    &mp__mgr_type_condition,
    &mp__mgr_type_event,
    &mp__mgr_type_barrier,
};

bool mp__mgr_builtin_name(const char *name) {
  for (size_t i = 0; i < MP__ARRAY_LEN(builtins); i++)
    if (strcmp(builtins[i]->name, name) == 0) return true;
  return false;
}

const mgr_type *mp__mgr_type_find(mgr_server *s, const char *name, size_t len) {
  for (size_t i = 0; i < MP__ARRAY_LEN(builtins); i++)
    if (strlen(builtins[i]->name) == len && memcmp(builtins[i]->name, name, len) == 0)
      return builtins[i];
  for (size_t i = 0; i < s->ncustom; i++)
    if (strlen(s->custom[i].name) == len && memcmp(s->custom[i].name, name, len) == 0)
      return &s->custom[i];
  return NULL;
}

int mp__mgr_wrap_value(mp_obj *v, const mgr_type **t, void **data) {
  if (mp_obj_type_of(v) == MP_OBJ_DICT)
    *t = &mp__mgr_type_dict;
  else if (mp_obj_type_of(v) == MP_OBJ_LIST)
    *t = &mp__mgr_type_list;
  else
    return -EINVAL;
  *data = mp_obj_incref(v);
  return 0;
}
