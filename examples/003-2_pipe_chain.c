/* SPDX-License-Identifier: MIT */
/* 003-2_pipe_chain.c -- twin of seed 003 §7.6: a chain of two pipes.  The first process sends
 * 0..9 into pipe 1; a middle process squares each number into pipe 2; the main process prints
 * what comes out of pipe 2 and "End" at end of file.
 *
 * End of file is how each stage learns that the one before it is done, and a reader sees it
 * only when every copy of the other end is closed -- including the copies that fork gave to
 * processes that never use them.  So, exactly as in the Python original, each process closes
 * the ends it does not write to: the middle process closes pipe 1's sending end (it inherited
 * one), and main closes the sending ends of both pipes after starting the children.
 *
 *   Python                                      C
 *   pipe_1 = Pipe(True)                         mp_pipe(&pipe_1[0], &pipe_1[1], true)
 *   item = input_pipe.recv()                    mp_conn_recv(input_pipe, &item, MP_FOREVER)
 *   except EOFError:                            ... == MP_EOF
 *   output_pipe.close()                         mp_conn_close(output_pipe)
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

typedef struct {
  mp_conn **pipe_1, **pipe_2; /* each a pair of ends, [0] and [1] */
} chain;

static int create_items(void *arg) {
  chain *ch = arg;
  mp_conn *output_pipe = ch->pipe_1[0];
  for (int item = 0; item < 10; item++) {
    mp_obj *o = mp_obj_int(item);
    check(mp_conn_send(output_pipe, o, MP_FOREVER), "send");
    mp_obj_decref(o);
  }
  mp_conn_close(output_pipe);
  return 0;
}

static int multiply_items(void *arg) {
  chain *ch = arg;
  mp_conn_close(ch->pipe_1[0]); /* close, input_pipe = pipe_1; close.close() */
  mp_conn *input_pipe = ch->pipe_1[1];
  mp_conn *output_pipe = ch->pipe_2[0];
  for (;;) {
    mp_obj *item;
    int rc = mp_conn_recv(input_pipe, &item, MP_FOREVER);
    if (rc == MP_EOF) break; /* except EOFError */
    check(rc, "recv");
    int64_t v = 0;
    check(mp_obj_get_int(item, &v), "item");
    mp_obj_decref(item);
    mp_obj *sq = mp_obj_int(v * v);
    check(mp_conn_send(output_pipe, sq, MP_FOREVER), "send");
    mp_obj_decref(sq);
  }
  mp_conn_close(output_pipe);
  return 0;
}

int main(void) {
  mp_conn *pipe_1[2], *pipe_2[2];
  chain ch = {pipe_1, pipe_2};

  /* The first process sends the numbers. */
  check(mp_pipe(&pipe_1[0], &pipe_1[1], true), "mp_pipe");
  mp_process *process_pipe_1;
  check(mp_process_new(&process_pipe_1, create_items, &ch, NULL), "mp_process_new");
  check(mp_process_start(process_pipe_1), "start");

  /* The second process receives them and squares them. */
  check(mp_pipe(&pipe_2[0], &pipe_2[1], true), "mp_pipe");
  mp_process *process_pipe_2;
  check(mp_process_new(&process_pipe_2, multiply_items, &ch, NULL), "mp_process_new");
  check(mp_process_start(process_pipe_2), "start");
  mp_conn_close(pipe_1[0]);
  mp_conn_close(pipe_2[0]);

  for (;;) {
    mp_obj *item;
    int rc = mp_conn_recv(pipe_2[1], &item, MP_FOREVER);
    if (rc == MP_EOF) {
      printf("End\n");
      break;
    }
    check(rc, "recv");
    check(mp_obj_fprint(stdout, item), "print");
    printf("\n");
    mp_obj_decref(item);
  }

  check(mp_process_join(process_pipe_1, MP_FOREVER), "join");
  check(mp_process_join(process_pipe_2, MP_FOREVER), "join");
  mp_process_free(process_pipe_1);
  mp_process_free(process_pipe_2);
  for (int i = 0; i < 2; i++) {
    mp_conn_free(pipe_1[i]);
    mp_conn_free(pipe_2[i]);
  }
  return 0;
}
