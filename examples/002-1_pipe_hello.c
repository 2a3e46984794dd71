/* SPDX-License-Identifier: MIT */
/* 002-1_pipe_hello.c -- twin of seed 002 §一: a child sends a UTF-8 string through a Pipe and
 * the parent prints it.
 *
 *   Python                                      C
 *   parent_conn, child_conn = Pipe()            mp_pipe(&parent_conn, &child_conn, true)
 *   conn.send("Hello 妹妹")                     mp_conn_send(conn, msg, MP_FOREVER)
 *   print(parent_conn.recv())                   mp_conn_recv(parent_conn, &msg, MP_FOREVER)
 */
#include <stdio.h>
#include <stdlib.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static int f(void *arg) {
  mp_conn *conn = arg;
  mp_obj *msg = mp_obj_str("Hello 妹妹");
  check(mp_conn_send(conn, msg, MP_FOREVER), "send");
  mp_obj_decref(msg);
  mp_conn_close(conn);
  return 0;
}

int main(void) {
  mp_conn *parent_conn, *child_conn;
  check(mp_pipe(&parent_conn, &child_conn, true), "mp_pipe");

  mp_process *p;
  check(mp_process_new(&p, f, child_conn, NULL), "mp_process_new");
  check(mp_process_start(p), "mp_process_start");

  mp_obj *msg;
  check(mp_conn_recv(parent_conn, &msg, MP_FOREVER), "recv");
  const char *s = mp_obj_str_data(msg, NULL);
  printf("%s\n", s ? s : "?");
  mp_obj_decref(msg);
  check(mp_process_join(p, MP_FOREVER), "join");

  mp_process_free(p);
  mp_conn_free(parent_conn);
  mp_conn_free(child_conn);
  return 0;
}
