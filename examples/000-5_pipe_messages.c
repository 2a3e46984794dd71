/* SPDX-License-Identifier: MIT */
/* 000-5_pipe_messages.c -- twin of seed 000 §2.2: a sender process sends four messages
 * through a Pipe and a receiver process prints them until it gets "END".
 *
 * Both processes are forked from main, so each inherits both ends of the pipe, as in Python's
 * fork mode; the receiver stops on the "END" message, not on end of file, so nobody has to
 * close the unused ends here (003-2 shows the end-of-file pattern).
 *
 *   Python                                      C
 *   parent_conn, child_conn = Pipe()            mp_pipe(&parent_conn, &child_conn, true)
 *   conn.send(msg)                              mp_conn_send(conn, msg, MP_FOREVER)
 *   msg = conn.recv()                           mp_conn_recv(conn, &msg, MP_FOREVER)
 *   conn.close()                                mp_conn_close(conn)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <multiproc.h>

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, mp_strerror(rc));
    exit(1);
  }
}

static const char *const msgs[] = {"hello", "hey", "hru?", "END"};
#define NMSGS (sizeof msgs / sizeof msgs[0])

static int sender(void *arg) {
  mp_conn *conn = arg;
  for (size_t i = 0; i < NMSGS; i++) {
    mp_obj *msg = mp_obj_str(msgs[i]);
    check(mp_conn_send(conn, msg, MP_FOREVER), "send");
    mp_obj_decref(msg);
    printf("Sent the message: %s\n", msgs[i]);
    fflush(stdout);
  }
  mp_conn_close(conn);
  return 0;
}

static int receiver(void *arg) {
  mp_conn *conn = arg;
  for (;;) {
    mp_obj *msg;
    check(mp_conn_recv(conn, &msg, MP_FOREVER), "recv");
    const char *s = mp_obj_str_data(msg, NULL);
    if (s != NULL && strcmp(s, "END") == 0) {
      mp_obj_decref(msg);
      break;
    }
    printf("Received the message: %s\n", s ? s : "?");
    fflush(stdout);
    mp_obj_decref(msg);
  }
  return 0;
}

int main(void) {
  mp_conn *parent_conn, *child_conn;
  check(mp_pipe(&parent_conn, &child_conn, true), "mp_pipe");

  mp_process *p1, *p2;
  check(mp_process_new(&p1, sender, parent_conn, NULL), "mp_process_new");
  check(mp_process_new(&p2, receiver, child_conn, NULL), "mp_process_new");
  check(mp_process_start(p1), "start p1");
  check(mp_process_start(p2), "start p2");
  check(mp_process_join(p1, MP_FOREVER), "join p1");
  check(mp_process_join(p2, MP_FOREVER), "join p2");

  mp_process_free(p1);
  mp_process_free(p2);
  mp_conn_free(parent_conn);
  mp_conn_free(child_conn);
  return 0;
}
