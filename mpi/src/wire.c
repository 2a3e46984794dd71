/* SPDX-License-Identifier: MIT */
/* wire.c -- a chunk as one MPI message and its reply as another (formats in mpi_internal.h).
 * Generic tasks carry a length word per item (bit 63: raw bytes) and then the bytes; array
 * chunks carry their elements as they lie in memory, never encoded one by one.  Every length
 * read from a message is checked against the message's size before it is used: a corrupt
 * message is an error reply or code, not a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"

int mp__wire_reserve(wire_buf *b, size_t cap) {
  if (cap <= b->cap) return 0;
  size_t n = b->cap ? b->cap : 256;
  while (n < cap) n *= 2;
  unsigned char *p = realloc(b->p, n);
  if (p == NULL) return -ENOMEM;
  b->p = p;
  b->cap = n;
  return 0;
}

int mp__wire_pack_task(wire_buf *b, const mp_pool_chunk *c, int lane, uint64_t seq) {
  size_t name_len = c->task_name ? strlen(c->task_name) : 0;
  wire_task h = {.magic = WIRE_MAGIC,
                 .array = c->array,
                 .lane = (uint16_t)lane,
                 .seq = seq,
                 .first = c->first,
                 .count = c->count,
                 .in_size = c->in_size,
                 .out_size = c->out_size,
                 .name_len = (uint32_t)name_len};
  size_t need = sizeof h + name_len;
  if (c->array) {
    need += c->count * c->in_size;
  } else {
    need += c->count * sizeof(uint64_t);
    for (size_t i = 0; i < c->count; i++) {
      size_t len;
      (void)mp_pool_backend_item_arg(c, c->first + i, NULL, &len, NULL);
      need += len;
    }
  }
  if (mp__wire_reserve(b, need)) return -ENOMEM;
  memcpy(b->p, &h, sizeof h);
  memcpy(b->p + sizeof h, c->task_name, name_len);
  unsigned char *w = b->p + sizeof h + name_len;
  if (c->array) {
    memcpy(w, c->in, c->count * c->in_size);
  } else {
    unsigned char *data = w + c->count * sizeof(uint64_t);
    for (size_t i = 0; i < c->count; i++) {
      const void *arg;
      size_t len;
      bool raw;
      (void)mp_pool_backend_item_arg(c, c->first + i, &arg, &len, &raw);
      uint64_t word = (uint64_t)len | (raw ? WIRE_RAW : 0);
      memcpy(w + i * sizeof word, &word, sizeof word);
      if (len) memcpy(data, arg, len);
      data += len;
    }
  }
  b->len = need;
  return 0;
}

void mp__wire_task_ids(const void *msg, size_t len, int *lane, uint64_t *seq) {
  wire_task h = {0};
  if (len >= sizeof h) memcpy(&h, msg, sizeof h);
  *lane = h.lane;
  *seq = h.seq;
}

/* Writes a reply's fixed part and message at the start of out; returns the body's offset, or
 * 0 when out cannot grow (an error). */
static size_t reply_begin(wire_buf *out, int lane, uint64_t seq, int code, int status,
                          uint64_t count, const char *message, size_t body_room) {
  size_t mlen = message ? strnlen(message, MP_TASK_MSG_MAX - 1) : 0;
  if (mp__wire_reserve(out, sizeof(wire_reply) + mlen + body_room)) return 0;
  wire_reply r = {.magic = WIRE_MAGIC,
                  .lane = (uint16_t)lane,
                  .msg_len = (uint16_t)mlen,
                  .seq = seq,
                  .code = code,
                  .status = status,
                  .count = count};
  memcpy(out->p, &r, sizeof r);
  memcpy(out->p + sizeof r, message, mlen);
  out->len = sizeof r + mlen;
  return out->len;
}

int mp__wire_error_reply(wire_buf *out, int lane, uint64_t seq, int code, int status,
                         const char *message) {
  return reply_begin(out, lane, seq, code, status, 0, message, 0) ? 0 : -ENOMEM;
}

/* The function registered under name, looked up once per name in a row: a map sends the same
 * name with every chunk, and the table is searched by string. */
static void (*lookup(const char *name, bool array))(void) {
  static char last[MP_TASK_NAME_MAX];
  static bool last_array;
  static void (*last_fn)(void);
  if (last_fn && last_array == array && strcmp(last, name) == 0) return last_fn;
  void (*fn)(void) =
      array ? (void (*)(void))mp_map_task_named(name) : (void (*)(void))mp_task_named(name);
  if (fn) {
    snprintf(last, sizeof last, "%s", name);
    last_array = array;
    last_fn = fn;
  }
  return fn;
}

static int error_for(wire_buf *out, const wire_task *h, int code, const char *message) {
  return mp__wire_error_reply(out, h->lane, h->seq, code, 0, message);
}

static int run_array(const wire_task *h, const char *name, const unsigned char *in, size_t avail,
                     wire_buf *out) {
  char msg[MP_TASK_MSG_MAX];
  if (h->in_size == 0 || h->count > avail / h->in_size || h->count * h->in_size != avail ||
      (h->out_size && h->count > (SIZE_MAX / 2) / h->out_size))
    return error_for(out, h, MP_ECORRUPT, "a corrupt array chunk reached the worker rank");
  mp_map_fn fn = (mp_map_fn)lookup(name, true);
  if (fn == NULL) {
    snprintf(msg, sizeof msg, "MPI rank %d has no element function registered as '%s'",
             mp__mpi.rank, name);
    return error_for(out, h, MP_ENOTREG, msg);
  }
  size_t outb = h->count * h->out_size;
  /* Written in place after a message-less header; a failure rewrites the reply. */
  size_t at0 = reply_begin(out, h->lane, h->seq, 0, 0, h->out_size ? h->count : 0, NULL, outb);
  if (at0 == 0) return -ENOMEM;
  size_t at = 0;
  msg[0] = '\0';
  int st = mp_map_task_run(fn, in, h->count, h->in_size, h->out_size ? out->p + at0 : NULL,
                           h->out_size, msg, &at);
  if (st == 0) {
    out->len = at0 + outb;
    return 0;
  }
  if (msg[0] == '\0')
    snprintf(msg, sizeof msg, "element %llu returned status %d (on MPI rank %d)",
             (unsigned long long)(h->first + at), st, mp__mpi.rank);
  return mp__wire_error_reply(out, h->lane, h->seq, MP_ETASK, st, msg);
}

static int run_generic(const wire_task *h, const char *name, const unsigned char *body,
                       size_t avail, wire_buf *out) {
  char msg[MP_TASK_MSG_MAX];
  if (h->count > avail / sizeof(uint64_t))
    return error_for(out, h, MP_ECORRUPT, "a corrupt chunk reached the worker rank");
  mp_task_fn fn = (mp_task_fn)lookup(name, false);
  if (fn == NULL) {
    snprintf(msg, sizeof msg, "MPI rank %d has no task registered as '%s'", mp__mpi.rank, name);
    return error_for(out, h, MP_ENOTREG, msg);
  }
  const unsigned char *data = body + h->count * sizeof(uint64_t);
  size_t left = avail - h->count * sizeof(uint64_t);
  /* Results are gathered in a buffer of their own and copied behind the header at the end,
   * since a failure's message (which goes before them) is known only then. */
  wire_buf res = {0};
  uint64_t *words = calloc(h->count ? h->count : 1, sizeof *words);
  if (words == NULL) return -ENOMEM;
  int code = 0, status = 0;
  msg[0] = '\0';
  uint64_t i = 0;
  for (; i < h->count && code == 0; i++) {
    uint64_t word;
    memcpy(&word, body + i * sizeof word, sizeof word);
    uint64_t len = word & ~WIRE_RAW;
    words[i] = WIRE_NONE;
    if (len > left) {
      code = MP_ECORRUPT;
      snprintf(msg, sizeof msg, "a corrupt chunk reached the worker rank");
      break;
    }
    mp_task_outcome o;
    int rc = mp_task_run(fn, h->first + i, data, len, (word & WIRE_RAW) != 0, &o);
    data += len;
    left -= len;
    if (rc != 0) {
      code = MP_ETASK;
      status = rc;
      snprintf(msg, sizeof msg, "the result of item %llu could not be kept on MPI rank %d",
               (unsigned long long)(h->first + i), mp__mpi.rank);
    } else if (o.status != 0) {
      code = MP_ETASK;
      status = o.status;
      if (o.message[0])
        snprintf(msg, sizeof msg, "%s", o.message);
      else
        snprintf(msg, sizeof msg, "task %llu returned status %d (on MPI rank %d)",
                 (unsigned long long)(h->first + i), o.status, mp__mpi.rank);
    } else if (o.result) {
      if (mp__wire_reserve(&res, res.len + o.len)) {
        code = -ENOMEM;
        snprintf(msg, sizeof msg, "MPI rank %d ran out of memory", mp__mpi.rank);
      } else {
        memcpy(res.p + res.len, o.result, o.len);
        res.len += o.len;
        words[i] = (uint64_t)o.len | (o.raw ? WIRE_RAW : 0);
      }
    }
    free(o.result);
  }
  for (; i < h->count; i++) words[i] = WIRE_NONE; /* not run after a failure, as locally */
  size_t wbytes = h->count * sizeof(uint64_t);
  size_t at = reply_begin(out, h->lane, h->seq, code, status, h->count, code ? msg : NULL,
                          wbytes + res.len);
  if (at != 0) {
    memcpy(out->p + at, words, wbytes);
    if (res.len) memcpy(out->p + at + wbytes, res.p, res.len);
    out->len = at + wbytes + res.len;
  }
  free(words);
  free(res.p);
  return at ? 0 : -ENOMEM;
}

int mp__wire_run_task(const void *msg, size_t len, wire_buf *out) {
  wire_task h;
  char name[MP_TASK_NAME_MAX];
  if (len < sizeof h)
    return mp__wire_error_reply(out, 0, 0, MP_ECORRUPT, 0, "a short chunk message");
  memcpy(&h, msg, sizeof h);
  if (h.magic != WIRE_MAGIC || h.name_len >= sizeof name || h.name_len > len - sizeof h)
    return error_for(out, &h, MP_ECORRUPT, "a corrupt chunk message");
  const unsigned char *p = (const unsigned char *)msg + sizeof h;
  memcpy(name, p, h.name_len);
  name[h.name_len] = '\0';
  size_t body = sizeof h + h.name_len;
  if (h.array) return run_array(&h, name, p + h.name_len, len - body, out);
  return run_generic(&h, name, p + h.name_len, len - body, out);
}

int mp__wire_reply_parse(const void *msg, size_t len, wire_reply_view *v) {
  if (len < sizeof v->h) return MP_ECORRUPT;
  memcpy(&v->h, msg, sizeof v->h);
  if (v->h.magic != WIRE_MAGIC || v->h.msg_len >= MP_TASK_MSG_MAX ||
      v->h.msg_len > len - sizeof v->h)
    return MP_ECORRUPT;
  memcpy(v->message, (const unsigned char *)msg + sizeof v->h, v->h.msg_len);
  v->message[v->h.msg_len] = '\0';
  v->body = (const unsigned char *)msg + sizeof v->h + v->h.msg_len;
  v->body_len = len - sizeof v->h - v->h.msg_len;
  return 0;
}

int mp__wire_store_reply(mp_pool *p, int slot, mp_pool_chunk *c, const wire_reply_view *v) {
  const unsigned char *body = v->body;
  size_t avail = v->body_len;
  int code = v->h.code, status = v->h.status;
  const char *message = v->message;
  uint64_t count = v->h.count;
  if (c->array) {
    size_t outb = c->count * c->out_size;
    if (count != 0 && (count != c->count || avail != outb)) {
      code = MP_ECORRUPT;
      message = "a reply of the wrong size from a rank";
    } else if (count != 0 && outb) {
      memcpy(c->out, body, outb);
    }
  } else if (count != 0 && (count != c->count || avail / sizeof(uint64_t) < count)) {
    code = MP_ECORRUPT;
    message = "a reply of the wrong size from a rank";
  } else if (count == 0 && code == 0 && c->count != 0) {
    code = MP_ECORRUPT;
    message = "a reply without its results from a rank";
  } else {
    const unsigned char *data = body + count * sizeof(uint64_t);
    size_t left = avail - count * sizeof(uint64_t);
    for (uint64_t i = 0; i < count; i++) {
      uint64_t word;
      memcpy(&word, body + i * sizeof word, sizeof word);
      if (word == WIRE_NONE) continue;
      uint64_t n = word & ~WIRE_RAW;
      if (n > left) {
        code = MP_ECORRUPT;
        message = "a reply of the wrong size from a rank";
        break;
      }
      int rc =
          mp_pool_backend_set_result(p, slot, c, c->first + i, data, n, (word & WIRE_RAW) != 0);
      if (rc != 0 && code == 0) {
        code = MP_ETASK;
        status = rc;
        message = "a result could not be stored (the shared heap is full)";
      }
      data += n;
      left -= n;
    }
  }
  return mp_pool_backend_complete(p, slot, c, code, status, message);
}
