/* SPDX-License-Identifier: MIT */
/* remote_queue.c -- Python's remote-queue recipe (multiprocessing docs, "Using a remote
 * manager"): a server shares one queue under 'get_queue' on a TCP address with an auth key; a
 * client on any machine puts into it, another gets from it.
 *
 *   Python                                          C
 *   queue = Queue()                                 (the server makes it: .shares = "Queue")
 *   QueueManager.register('get_queue',              mp_manager_register(m, &(mp_manager_type){
 *                         callable=lambda: queue)       .type_id = "get_queue", .shares = "Queue"})
 *   m = QueueManager(address=(host, port),          mp_manager_new(&m, &(mp_manager_opts){
 *                    authkey=b'abracadabra')            .address = addr, .authkey = ...})
 *   m.get_server().serve_forever()                  mp_manager_serve_forever(m)
 *   m.connect(); q = m.get_queue()                  mp_manager_connect(m, ms);
 *                                                   mp_manager_create(m, "get_queue", NULL, &q)
 *   q.put('hello')                                  mp_queue_proxy_put(q, hello, MP_FOREVER)
 *
 * Here one program plays every part, each in its own process, the clients over TCP as between
 * machines.  The server also uses the queue itself, between get_server() and serve_forever(),
 * to leave a welcome in it: its own calls are served on the spot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <multiproc.h>

#define AUTHKEY "abracadabra"

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s (%s)\n", what, mp_strerror(rc), mp_manager_errmsg());
    exit(1);
  }
}

static mp_manager *manager_at(const char *address) {
  mp_manager *m;
  check(mp_manager_new(&m, &(mp_manager_opts){.address = address,
                                              .authkey = AUTHKEY,
                                              .authkey_len = strlen(AUTHKEY)}),
        "QueueManager");
  return m;
}

static void put_str(mp_proxy *q, const char *s) {
  mp_obj *o = mp_obj_str(s);
  check(mp_queue_proxy_put(q, o, MP_FOREVER), "queue.put");
  mp_obj_decref(o);
}

static int server(void *arg) {
  mp_conn *tell = arg;
  mp_manager *m = manager_at("127.0.0.1:0"); /* any free port; Python's example uses 50000 */
  check(mp_manager_register(m, &(mp_manager_type){.type_id = "get_queue", .shares = "Queue"}),
        "register");
  check(mp_manager_get_server(m), "get_server");
  mp_proxy *q;
  check(mp_manager_create(m, "get_queue", NULL, &q), "get_queue (server side)");
  put_str(q, "welcome");
  mp_proxy_free(q);
  const char *addr = mp_manager_address(m);
  check(mp_conn_send_bytes(tell, addr, 0, strlen(addr), MP_FOREVER), "tell the address");
  check(mp_manager_serve_forever(m), "serve_forever");
  mp_manager_free(m);
  return 0;
}

static int putter(void *arg) {
  mp_manager *m = manager_at(arg);
  check(mp_manager_connect(m, 10000), "m.connect");
  mp_proxy *q;
  check(mp_manager_create(m, "get_queue", NULL, &q), "m.get_queue");
  put_str(q, "hello");
  mp_proxy_free(q);
  mp_manager_free(m);
  return 0;
}

static int getter(void *arg) {
  mp_manager *m = manager_at(arg);
  check(mp_manager_connect(m, 10000), "m.connect");
  mp_proxy *q;
  check(mp_manager_create(m, "get_queue", NULL, &q), "m.get_queue");
  for (int i = 0; i < 2; i++) {
    mp_obj *o;
    check(mp_queue_proxy_get(q, &o, 10000), "queue.get");
    printf("got from the remote queue: %s\n", mp_obj_str_data(o, NULL));
    mp_obj_decref(o);
  }
  mp_proxy_free(q);
  mp_manager_free(m);
  return 0;
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
  setvbuf(stdout, NULL, _IOLBF, 0);
  mp_conn *r, *w;
  check(mp_pipe(&r, &w, false), "Pipe");
  mp_process *srv;
  check(mp_process_new(&srv, server, w, NULL), "Process(server)");
  check(mp_process_start(srv), "server.start");
  char address[MP_ADDRESS_MAX] = {0};
  size_t len;
  check(mp_conn_recv_bytes_into(r, address, sizeof address - 1, 0, &len, 10000), "address");
  run(putter, address);
  run(getter, address);
  mp_manager *admin = manager_at(address);
  check(mp_manager_connect(admin, 10000), "admin.connect");
  check(mp_manager_shutdown(admin), "shutdown");
  mp_manager_free(admin);
  check(mp_process_join(srv, 10000), "server.join");
  printf("the server has stopped\n");
  mp_process_free(srv);
  mp_conn_free(r);
  mp_conn_free(w);
  return 0;
}
