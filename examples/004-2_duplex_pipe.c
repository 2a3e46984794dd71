/* SPDX-License-Identifier: MIT */
/* 004-2_duplex_pipe.c -- twin of seed 004 (Vamei's Pipe example): a duplex Pipe between two
 * processes; each sends on its end and receives what the other sent.
 *
 *   Python                                      C
 *   pipe = mul.Pipe()                           mp_pipe(&pipe[0], &pipe[1], true)
 *   pipe.send('hello')                          mp_conn_send(end, mp_obj_str("hello"), ...)
 *   print('proc1 rec:', pipe.recv())            mp_conn_recv(end, &msg, MP_FOREVER); printf
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

static void send_str(mp_conn *end, const char *s) {
  mp_obj *o = mp_obj_str(s);
  check(mp_conn_send(end, o, MP_FOREVER), "send");
  mp_obj_decref(o);
}

/* Receives a str and prints it after label, as print(label, pipe.recv()) does. */
static void print_recv(mp_conn *end, const char *label) {
  mp_obj *o;
  check(mp_conn_recv(end, &o, MP_FOREVER), "recv");
  const char *s = mp_obj_str_data(o, NULL);
  printf("%s %s\n", label, s ? s : "?");
  fflush(stdout); /* printed before this process sends its reply, even into a pipe */
  mp_obj_decref(o);
}

static int proc1(void *arg) {
  mp_conn *end = arg;
  send_str(end, "hello");
  print_recv(end, "proc1 rec:");
  return 0;
}

static int proc2(void *arg) {
  mp_conn *end = arg;
  print_recv(end, "proc2 rec:");
  send_str(end, "hello, too");
  return 0;
}

int main(void) {
  mp_conn *pipe[2];
  check(mp_pipe(&pipe[0], &pipe[1], true), "mp_pipe");

  mp_process *p1, *p2;
  check(mp_process_new(&p1, proc1, pipe[0], NULL), "mp_process_new");
  check(mp_process_new(&p2, proc2, pipe[1], NULL), "mp_process_new");
  check(mp_process_start(p1), "start p1");
  check(mp_process_start(p2), "start p2");
  check(mp_process_join(p1, MP_FOREVER), "join p1");
  check(mp_process_join(p2, MP_FOREVER), "join p2");

  mp_process_free(p1);
  mp_process_free(p2);
  mp_conn_free(pipe[0]);
  mp_conn_free(pipe[1]);
  return 0;
}
