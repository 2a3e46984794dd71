/* SPDX-License-Identifier: MIT */
/* 001-10_manager_namespace.c -- twin of seed 001's Manager example: a Namespace, a list and a
 * dict held by a Manager are modified by a child (ns.a *= 2, extend with 'b' and 'c',
 * d['b'] = 0) and the parent prints them.
 *
 * The seed prints 1 for ns.a, but Python really prints 2: the child's `ns.a *= 2` reads 1 and
 * sets 2 on the server, which the parent then reads.  This twin follows Python.
 */
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s (%s)\n", what, mp_strerror(rc), mp_manager_errmsg());
    exit(1);
  }
}

typedef struct {
  mp_proxy *ns, *lproxy, *dproxy;
} proxies;

static int modify(void *arg) {
  proxies *p = arg;
  mp_obj *a;
  int64_t v;
  check(mp_ns_proxy_get(p->ns, "a", &a), "ns.a");
  check(mp_obj_get_int(a, &v), "int(ns.a)");
  mp_obj_decref(a);
  a = mp_obj_int(v * 2); /* ns.a *= 2 */
  check(mp_ns_proxy_set(p->ns, "a", a), "ns.a = ");
  mp_obj_decref(a);
  mp_obj *bc = mp_obj_list();
  mp_obj_list_append_steal(bc, mp_obj_str("b"));
  mp_obj_list_append_steal(bc, mp_obj_str("c"));
  check(mp_list_proxy_extend(p->lproxy, bc), "lproxy.extend");
  mp_obj_decref(bc);
  mp_obj *k = mp_obj_str("b"), *zero = mp_obj_int(0);
  check(mp_dict_proxy_set(p->dproxy, k, zero), "dproxy['b'] = 0");
  mp_obj_decref(k);
  mp_obj_decref(zero);
  return 0;
}

static void print_value(mp_proxy *proxy) {
  mp_obj *v;
  check(mp_proxy_getvalue(proxy, &v), "print(proxy)");
  mp_obj_fprint(stdout, v);
  printf("\n");
  mp_obj_decref(v);
}

int main(void) {
  mp_manager *manager;
  check(mp_manager_new(&manager, NULL), "Manager");
  check(mp_manager_start(manager), "Manager.start");
  proxies p;
  check(mp_manager_namespace(manager, &p.ns), "manager.Namespace");
  mp_obj *one = mp_obj_int(1);
  check(mp_ns_proxy_set(p.ns, "a", one), "ns.a = 1");
  mp_obj_decref(one);
  check(mp_manager_list(manager, NULL, &p.lproxy), "manager.list");
  mp_obj *a = mp_obj_str("a");
  check(mp_list_proxy_append(p.lproxy, a), "lproxy.append('a')");
  mp_obj_decref(a);
  check(mp_manager_dict(manager, NULL, &p.dproxy), "manager.dict");
  mp_obj *k = mp_obj_str("b"), *two = mp_obj_int(2);
  check(mp_dict_proxy_set(p.dproxy, k, two), "dproxy['b'] = 2");
  mp_obj_decref(k);
  mp_obj_decref(two);

  mp_process *proc;
  check(mp_process_new(&proc, modify, &p, NULL), "Process");
  check(mp_process_start(proc), "p.start");
  printf("PID: %d\n", (int)mp_process_pid(proc));
  check(mp_process_join(proc, MP_FOREVER), "p.join");
  mp_process_free(proc);

  mp_obj *ns_a;
  check(mp_ns_proxy_get(p.ns, "a", &ns_a), "ns.a");
  mp_obj_fprint(stdout, ns_a);
  printf("\n");
  mp_obj_decref(ns_a);
  print_value(p.lproxy);
  print_value(p.dproxy);

  mp_proxy_free(p.ns);
  mp_proxy_free(p.lproxy);
  mp_proxy_free(p.dproxy);
  mp_manager_free(manager);
  return 0;
}
