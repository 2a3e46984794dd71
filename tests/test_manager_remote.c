/* SPDX-License-Identifier: MIT */
/* test_manager_remote.c -- the manager over connections: connect by address with the auth
 * key (TCP and AF_UNIX), a wrong key refused, proxy tokens sent over a Queue and a Pipe and
 * rebuilt in another process (through the shared heap or by address), a remote client killed
 * in the middle of a blocking call, and a served process shut down by a client. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "heap/heap.h"
#include "manager_util.h"

#define KEY "secret"

static mp_manager *start_at(const char *address) {
  mp_manager *m;
  mp_assert_ok(mp_manager_new(
      &m, &(mp_manager_opts){.address = address, .authkey = KEY, .authkey_len = strlen(KEY)}));
  mp_assert_ok(mp_manager_start(m));
  return m;
}

static int connect_to(const char *address, const char *key, mp_manager **out) {
  int rc = mp_manager_new(
      out, &(mp_manager_opts){.address = address, .authkey = key, .authkey_len = strlen(key)});
  if (rc == 0 && (rc = mp_manager_connect(*out, 5000)) != 0) {
    mp_manager_free(*out);
    *out = NULL;
  }
  return rc;
}

static void remote_roundtrip(const char *address) {
  mp_manager *m = start_at(address);
  const char *addr = mp_manager_address(m);
  ck_assert_ptr_nonnull(addr);
  mp_manager *c;
  mp_assert_ok(connect_to(addr, KEY, &c));
  mp_proxy *l;
  mp_assert_ok(mp_manager_list(c, NULL, &l));
  mp_obj *v = mp_obj_str("remote"), *r;
  mp_assert_ok(mp_list_proxy_append(l, v));
  mp_obj_decref(v);
  mp_assert_ok(mp_proxy_getvalue(l, &r));
  assert_repr(r, "['remote']");
  mp_assert_rc(mp_list_proxy_get(l, 5, &r), -ERANGE); /* errors travel too */
  ck_assert_ptr_nonnull(strstr(mp_manager_errmsg(), "index out of range"));
  int64_t n;
  mp_assert_ok(mp_manager_number_of_objects(m, &n)); /* seen by the starter too */
  ck_assert_int_eq(n, 1);
  mp_proxy_free(l);
  mp_manager_free(c); /* closing the connection drops nothing more */
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  ck_assert_int_eq(n, 0);
  mp_manager *bad = NULL;
  mp_assert_rc(connect_to(addr, "wrong", &bad), MP_EAUTH);
  mp_manager_free(m);
}

START_TEST(connect_tcp) { remote_roundtrip("127.0.0.1:0"); }
END_TEST

START_TEST(connect_unix) { remote_roundtrip(NULL); }
END_TEST

START_TEST(connect_errors) {
  mp_manager *m;
  mp_assert_ok(mp_manager_new(&m, NULL));
  mp_assert_rc(mp_manager_connect(m, 1000), -EINVAL); /* no address */
  mp_manager_free(m);
  mp_assert_rc(mp_manager_new(&m, &(mp_manager_opts){.address = ""}), -EINVAL);
  mp_assert_rc(mp_manager_new(&m, &(mp_manager_opts){.authkey_len = 3}), -EINVAL);
  mp_manager *c = NULL;
  int rc = connect_to("@multiproc-test-nobody-here", KEY, &c);
  ck_assert_msg(rc == -ECONNREFUSED || rc == -ENOENT, "got %s", mp_err_name(rc));
}
END_TEST

/* ---- tokens ---- */

typedef struct tok_args {
  mp_queue *q;
  mp_conn *conn;
  bool by_address; /* drop the heap hint to force a connection */
} tok_args;

static int use_token(mp_obj *tok, bool by_address) {
  if (by_address) { /* the same token as an unrelated process would see it */
    mp_obj *items[6];
    for (size_t i = 0; i < 5; i++) items[i] = mp_obj_incref(mp_obj_item(tok, i));
    items[5] = mp_obj_none();
    mp_obj *t2 = mp_obj_tuple_steal(6, items);
    mp_obj_decref(tok);
    tok = t2;
  }
  mp_proxy *p;
  int rc = mp_proxy_from_obj(&p, tok, NULL, 5000);
  mp_obj_decref(tok);
  if (rc != 0) return 10;
  mp_obj *v = mp_obj_str(by_address ? "by address" : "by heap");
  rc = mp_list_proxy_append(p, v);
  mp_obj_decref(v);
  mp_proxy_free(p);
  return rc != 0 ? 11 : 0;
}

static int token_from_queue(void *arg) {
  tok_args *a = arg;
  mp_obj *tok;
  if (mp_queue_get_obj(a->q, &tok, 10000) != 0) return 1;
  return use_token(tok, a->by_address);
}

static int token_from_pipe(void *arg) {
  tok_args *a = arg;
  mp_obj *tok;
  if (mp_conn_recv(a->conn, &tok, 10000) != 0) return 1;
  return use_token(tok, a->by_address);
}

START_TEST(tokens_over_queue_and_pipe) {
  tok_args qa = {0}, pa = {0}, ra = {0};
  mp_assert_ok(mp_queue_new(&qa.q, 0));
  mp_conn *mine;
  mp_assert_ok(mp_pipe(&mine, &pa.conn, true));
  mp_assert_ok(mp_queue_new(&ra.q, 0));
  ra.by_address = true;
  /* the children start before the manager exists: they get to the object only by token */
  mp_process *pq = mp_test_start(token_from_queue, &qa);
  mp_process *pp = mp_test_start(token_from_pipe, &pa);
  mp_process *pr = mp_test_start(token_from_queue, &ra);
  mp_conn_close(pa.conn);
  mp_manager *m = start_at("127.0.0.1:0");
  mp_proxy *l;
  mp_assert_ok(mp_manager_list(m, NULL, &l));
  mp_obj *tok;
  mp_assert_ok(mp_proxy_to_obj(l, &tok));
  mp_assert_ok(mp_queue_put_obj(qa.q, tok, 0));
  mp_assert_ok(mp_conn_send(mine, tok, 5000));
  mp_assert_ok(mp_queue_put_obj(ra.q, tok, 0));
  mp_obj_decref(tok);
  ck_assert_int_eq(mp_test_finish(pq), 0);
  ck_assert_int_eq(mp_test_finish(pp), 0);
  ck_assert_int_eq(mp_test_finish(pr), 0);
  mp_obj *r;
  mp_assert_ok(mp_list_proxy_count(l, (r = mp_obj_str("by heap")), &(int64_t){0}));
  int64_t n;
  mp_assert_ok(mp_list_proxy_count(l, r, &n));
  ck_assert_int_eq(n, 2);
  mp_obj_decref(r);
  mp_assert_ok(mp_list_proxy_count(l, (r = mp_obj_str("by address")), &n));
  ck_assert_int_eq(n, 1);
  mp_obj_decref(r);
  /* a token rebuilt in this very process, with the manager as hint, shares the handle */
  mp_proxy *l2;
  mp_assert_ok(mp_proxy_to_obj(l, &tok));
  mp_assert_ok(mp_proxy_from_obj(&l2, tok, m, 1000));
  mp_obj_decref(tok);
  mp_assert_ok(mp_list_proxy_len(l2, &n));
  ck_assert_int_eq(n, 3);
  mp_proxy_free(l2);
  mp_assert_rc(mp_proxy_from_obj(&l2, (r = mp_obj_int(5)), NULL, 0), -EINVAL);
  mp_obj_decref(r);
  mp_proxy_free(l);
  mp_assert_ok(mp_manager_number_of_objects(m, &n));
  ck_assert_int_eq(n, 0);
  mp_manager_free(m);
  mp_queue_free(qa.q);
  mp_queue_free(ra.q);
  mp_conn_free(mine);
  mp_conn_free(pa.conn);
}
END_TEST

/* A process that does not share the heap (forked with a raw fork() before the heap existed)
 * receives a token over a pipe and reaches the object by address. */
START_TEST(token_in_unrelated_process) {
  mp_conn *mine, *theirs;
  mp_assert_ok(mp_pipe(&mine, &theirs, true));
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    mp_conn_close(mine);
    mp_obj *tok;
    int code = 1;
    if (mp_conn_recv(theirs, &tok, 10000) == 0) {
      mp_proxy *p;
      int64_t addr = 0;
      mp_obj_get_int(mp_obj_item(mp_obj_item(tok, 5), 0), &addr);
      code = 2;
      if (mp__heap_contains((void *)(uintptr_t)addr, 8))
        code = 4; /* must not share it */
      else if (mp_proxy_from_obj(&p, tok, NULL, 5000) == 0) {
        mp_obj *v = mp_obj_str("unrelated");
        code = mp_list_proxy_append(p, v) == 0 ? 0 : 3;
        mp_obj_decref(v);
        mp_proxy_free(p);
      }
      mp_obj_decref(tok);
    }
    _exit(code);
  }
  mp_conn_close(theirs);
  mp_manager *m = start_at(NULL); /* the heap comes into being here, after the fork */
  mp_proxy *l;
  mp_assert_ok(mp_manager_list(m, NULL, &l));
  mp_obj *tok;
  mp_assert_ok(mp_proxy_to_obj(l, &tok));
  mp_assert_ok(mp_conn_send(mine, tok, 5000));
  mp_obj_decref(tok);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status));
  ck_assert_int_eq(WEXITSTATUS(status), 0);
  mp_obj *r;
  mp_assert_ok(mp_proxy_getvalue(l, &r));
  assert_repr(r, "['unrelated']");
  mp_proxy_free(l);
  mp_manager_free(m);
  mp_conn_free(mine);
  mp_conn_free(theirs);
}
END_TEST

/* A remote client killed while it waits in Queue.get: the server notices the dead connection,
 * the item put afterwards goes to the live caller, and the client's references are gone. */
static int remote_get_forever(void *arg) {
  mp_manager *c;
  if (connect_to(arg, KEY, &c) != 0) return 1;
  mp_proxy *q, *extra;
  if (mp_manager_create(c, "Queue", NULL, &q) != 0) return 2;
  if (mp_manager_list(c, NULL, &extra) != 0) return 3;
  mp_obj *r;
  mp_queue_proxy_get(q, &r, MP_FOREVER);
  return 4;
}

START_TEST(remote_client_killed_mid_call) {
  mp_manager *m = start_at("127.0.0.1:0");
  char addr[MP_ADDRESS_MAX];
  snprintf(addr, sizeof addr, "%s", mp_manager_address(m));
  mp_process *p = mp_test_start(remote_get_forever, addr);
  int64_t n = 0;
  for (int i = 0; i < 250 && n < 2; i++) {
    mp_assert_ok(mp_manager_number_of_objects(m, &n));
    mp_test_sleep_ms(20);
  }
  ck_assert_int_eq(n, 2);
  mp_test_sleep_ms(50);
  mp_assert_ok(mp_process_kill(p));
  ck_assert_int_eq(mp_test_finish(p), -SIGKILL);
  for (int i = 0; i < 250 && n != 0; i++) {
    mp_assert_ok(mp_manager_number_of_objects(m, &n));
    mp_test_sleep_ms(20);
  }
  ck_assert_int_eq(n, 0);
  mp_proxy *d;
  mp_assert_ok(mp_manager_dict(m, NULL, &d)); /* still serving */
  mp_proxy_free(d);
  mp_manager_free(m);
}
END_TEST

/* ---- clients that say nothing, and the listener's limits ---- */

/* 16 silent connections first: a client that connects after them is still served at once
 * (its handshake runs beside theirs), not after 16 handshake timeouts. */
START_TEST(silent_clients_delay_no_remote_client) {
  mp_manager *m = start_at("127.0.0.1:0");
  const char *addr = mp_manager_address(m);
  int silent[16];
  for (int i = 0; i < 16; i++) silent[i] = mp_test_silent_connect(addr);
  mp_test_sleep_ms(100);
  int64_t t0 = mp_test_now_ms();
  mp_manager *c;
  mp_assert_ok(connect_to(addr, KEY, &c));
  int64_t took = mp_test_now_ms() - t0;
  ck_assert_msg(took < 3000, "the client waited %lld ms", (long long)took);
  mp_proxy *d;
  mp_assert_ok(mp_manager_dict(c, NULL, &d));
  mp_proxy_free(d);
  mp_manager_free(c);
  for (int i = 0; i < 16; i++) close(silent[i]);
  mp_manager_free(m);
}
END_TEST

START_TEST(listen_limits) {
  mp_manager *m;
  mp_assert_ok(mp_manager_new(
      &m,
      &(mp_manager_opts){.address = "127.0.0.1:0", .authkey = KEY, .authkey_len = strlen(KEY)}));
  mp_assert_rc(mp_manager_set_listen_opts(NULL, NULL), -EINVAL);
  mp_assert_rc(mp_manager_set_listen_opts(m, &(mp_manager_listen_opts){.max_pending = -1}),
               -EINVAL);
  mp_assert_rc(mp_manager_set_listen_opts(m, &(mp_manager_listen_opts){.max_connections = -1}),
               -EINVAL);
  mp_assert_ok(mp_manager_set_listen_opts(m, NULL));
  mp_assert_ok(mp_manager_set_listen_opts(
      m,
      &(mp_manager_listen_opts){.handshake_timeout = 300, .max_pending = 2, .max_connections = 1}));
  mp_assert_ok(mp_manager_start(m));
  mp_assert_rc(mp_manager_set_listen_opts(m, NULL), MP_ESTATE);
  const char *addr = mp_manager_address(m);

  /* Two silent clients fill the handshakes; a third is closed before any challenge; the
   * two are dropped at their handshake timeout. */
  int s1 = mp_test_silent_connect(addr), s2 = mp_test_silent_connect(addr);
  ck_assert_int_eq(mp_test_first_heard(s1, 2000), 1);
  ck_assert_int_eq(mp_test_first_heard(s2, 2000), 1);
  int s3 = mp_test_silent_connect(addr);
  ck_assert_int_eq(mp_test_first_heard(s3, 2000), 0);
  ck_assert_int_eq(mp_test_first_heard(s1, 3000), 0);
  ck_assert_int_eq(mp_test_first_heard(s2, 3000), 0);
  close(s1);
  close(s2);
  close(s3);

  /* One connection served at a time: a second authenticated client is closed. */
  mp_manager *c1, *c2 = NULL;
  mp_assert_ok(connect_to(addr, KEY, &c1));
  int rc = connect_to(addr, KEY, &c2);
  ck_assert_msg(rc == MP_EOF || rc == MP_EBROKEN, "got %s", mp_err_name(rc));
  mp_manager_free(c1);
  /* Once the first has left, the next is served (its thread notices within ~100 ms). */
  for (int i = 0; i < 50 && (rc = connect_to(addr, KEY, &c2)) != 0; i++) mp_test_sleep_ms(50);
  mp_assert_ok(rc);
  mp_manager_free(c2);
  mp_manager_free(m);
}
END_TEST

/* serve_forever in a child with a registered callable; a connected client shuts it down. */
static mp_obj *served_list;
static mp_obj *get_served(void *arg) {
  (void)arg;
  return served_list;
}

static int serve_child(void *arg) {
  mp_conn *tell = arg;
  served_list = mp_obj_list();
  mp_manager *m;
  if (mp_manager_new(&m, &(mp_manager_opts){.address = "127.0.0.1:0",
                                            .authkey = KEY,
                                            .authkey_len = strlen(KEY)}) != 0)
    return 1;
  if (mp_manager_register(m, &(mp_manager_type){.type_id = "get_list", .callable = get_served}) !=
          0 ||
      mp_manager_get_server(m) != 0)
    return 2;
  const char *a = mp_manager_address(m);
  if (mp_conn_send_bytes(tell, a, 0, strlen(a) + 1, 5000) != 0) return 3;
  int rc = mp_manager_serve_forever(m);
  mp_manager_free(m);
  mp_obj_decref(served_list);
  return rc == 0 ? 0 : 4;
}

START_TEST(served_child_shut_down_by_client) {
  mp_conn *r, *w;
  mp_assert_ok(mp_pipe(&r, &w, false));
  mp_process *srv = mp_test_start(serve_child, w);
  mp_conn_close(w);
  char addr[MP_ADDRESS_MAX];
  size_t len;
  mp_assert_ok(mp_conn_recv_bytes_into(r, addr, sizeof addr, 0, &len, 10000));
  mp_manager *c;
  mp_assert_ok(connect_to(addr, KEY, &c));
  mp_proxy *l1, *l2;
  mp_assert_ok(mp_manager_create(c, "get_list", NULL, &l1));
  mp_obj *one = mp_obj_int(1), *v;
  mp_assert_ok(mp_list_proxy_append(l1, one));
  mp_obj_decref(one);
  mp_assert_ok(mp_manager_create(c, "get_list", NULL, &l2));
  mp_assert_ok(mp_proxy_getvalue(l2, &v));
  assert_repr(v, "[1]");
  mp_proxy_free(l1);
  mp_proxy_free(l2);
  mp_assert_ok(mp_manager_shutdown(c));
  ck_assert_int_eq(mp_test_finish(srv), 0);
  mp_assert_rc(mp_manager_number_of_objects(c, &(int64_t){0}), MP_EBROKEN);
  mp_manager_free(c);
  mp_conn_free(r);
  mp_conn_free(w);
}
END_TEST

Suite *mp_test_suite(void) {
  Suite *s = suite_create("manager_remote");
  TCase *tc = mp_tcase("manager_remote", 60);
  tcase_add_test(tc, connect_tcp);
  tcase_add_test(tc, connect_unix);
  tcase_add_test(tc, connect_errors);
  tcase_add_test(tc, tokens_over_queue_and_pipe);
  tcase_add_test(tc, token_in_unrelated_process);
  tcase_add_test(tc, remote_client_killed_mid_call);
  tcase_add_test(tc, served_child_shut_down_by_client);
  tcase_add_test(tc, silent_clients_delay_no_remote_client);
  tcase_add_test(tc, listen_limits);
  suite_add_tcase(s, tc);
  return s;
}
