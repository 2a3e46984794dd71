/* SPDX-License-Identifier: MIT */
/* 001-11_remote_manager.c -- twin of seed 001's remote manager (remote_server.py and
 * client.py in one program): a server process registers get_list (callable= returning one
 * shared list) and serves on 127.0.0.1 with authkey b'secret'; a client process connects with
 * the key, prints get_list() ([]), appends 1 and prints get_list() again ([1]); then a client
 * with a wrong key is refused.
 *
 * The seed runs the two scripts by hand; here the parent starts the server in one child and
 * each client in another, and the client calls are TCP connections exactly as between
 * unrelated processes (mp_manager_connect never uses the shared heap).  The seed's port is
 * 9030; when it is taken the server takes a free port instead and tells the parent which. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s (%s)\n", what, mp_strerror(rc), mp_manager_errmsg());
    exit(1);
  }
}

#define AUTHKEY "secret"

/* ---- remote_server ---- */

static mp_obj *shared_list;

static mp_obj *get_list(void *arg) {
  (void)arg;
  return shared_list; /* callable=lambda: shared_list */
}

static int remote_server(void *arg) {
  mp_conn *tell = arg;
  shared_list = mp_obj_list();
  mp_manager *mgr = NULL;
  int rc = -EADDRINUSE;
  const char *addrs[] = {"127.0.0.1:9030", "127.0.0.1:0"};
  for (int i = 0; i < 2 && rc == -EADDRINUSE; i++) {
    mp_manager_free(mgr);
    check(mp_manager_new(&mgr, &(mp_manager_opts){.address = addrs[i],
                                                  .authkey = AUTHKEY,
                                                  .authkey_len = strlen(AUTHKEY)}),
          "RemoteManager");
    check(mp_manager_register(mgr, &(mp_manager_type){.type_id = "get_list", .callable = get_list}),
          "register");
    rc = mp_manager_get_server(mgr); /* server = mgr.get_server() */
  }
  check(rc, "get_server");
  const char *addr = mp_manager_address(mgr);
  check(mp_conn_send_bytes(tell, addr, 0, strlen(addr), MP_FOREVER), "tell the address");
  check(mp_manager_serve_forever(mgr), "serve_forever");
  mp_manager_free(mgr);
  mp_obj_decref(shared_list);
  return 0;
}

/* ---- client ---- */

static void print_value(mp_proxy *l) {
  mp_obj *v;
  check(mp_proxy_getvalue(l, &v), "print(l)");
  mp_obj_fprint(stdout, v);
  printf("\n");
  mp_obj_decref(v);
}

static int client(void *arg) {
  const char *address = arg;
  mp_manager *mgr;
  check(mp_manager_new(&mgr, &(mp_manager_opts){.address = address,
                                                .authkey = AUTHKEY,
                                                .authkey_len = strlen(AUTHKEY)}),
        "RemoteManager");
  check(mp_manager_connect(mgr, 10000), "mgr.connect");
  mp_proxy *l, *l2;
  check(mp_manager_create(mgr, "get_list", NULL, &l), "mgr.get_list");
  print_value(l);
  mp_obj *one = mp_obj_int(1);
  check(mp_list_proxy_append(l, one), "l.append(1)");
  mp_obj_decref(one);
  check(mp_manager_create(mgr, "get_list", NULL, &l2), "mgr.get_list");
  print_value(l2);
  mp_proxy_free(l);
  mp_proxy_free(l2);
  mp_manager_free(mgr);
  return 0;
}

static int wrong_key_client(void *arg) {
  const char *address = arg;
  mp_manager *mgr;
  check(mp_manager_new(
            &mgr, &(mp_manager_opts){.address = address, .authkey = "wrong", .authkey_len = 5}),
        "RemoteManager");
  int rc = mp_manager_connect(mgr, 10000);
  printf("connect with a wrong authkey: %s\n",
         rc == MP_EAUTH ? "refused (MP_EAUTH)" : mp_strerror(rc));
  mp_manager_free(mgr);
  return rc == MP_EAUTH ? 0 : 1;
}

static void run(mp_target_fn fn, void *arg) {
  mp_process *p;
  check(mp_process_new(&p, fn, arg, NULL), "Process");
  check(mp_process_start(p), "start");
  check(mp_process_join(p, MP_FOREVER), "join");
  int code;
  check(mp_process_exitcode(p, &code), "exitcode");
  mp_process_free(p);
  if (code != 0) exit(1);
}

int main(void) {
  mp_conn *r, *w;
  check(mp_pipe(&r, &w, false), "Pipe");
  mp_process *server;
  check(mp_process_new(&server, remote_server, w, NULL), "Process(server)");
  check(mp_process_start(server), "server.start");
  mp_conn_close(w);
  char address[MP_ADDRESS_MAX] = {0};
  size_t len;
  check(mp_conn_recv_bytes_into(r, address, sizeof address - 1, 0, &len, 10000), "address");

  run(client, address); /* python3 client.py */
  run(wrong_key_client, address); /* the same with another key */

  /* Stop the server (Python's Server accepts a shutdown from an authenticated client). */
  mp_manager *admin;
  check(mp_manager_new(&admin, &(mp_manager_opts){.address = address,
                                                  .authkey = AUTHKEY,
                                                  .authkey_len = strlen(AUTHKEY)}),
        "admin");
  check(mp_manager_connect(admin, 10000), "admin.connect");
  check(mp_manager_shutdown(admin), "shutdown");
  mp_manager_free(admin);
  check(mp_process_join(server, 10000), "server.join");
  mp_process_free(server);
  mp_conn_free(r);
  mp_conn_free(w);
  return 0;
}
