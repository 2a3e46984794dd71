/* SPDX-License-Identifier: MIT */
/* wire.c -- a chunk as one MPI message and its reply as another.  Generic tasks carry a length
 * word per item (bit 63: raw bytes) and then the bytes; array chunks carry their elements as
 * they lie in memory, never encoded one by one.  Every length read from a message is checked
 * against the message's size before it is used: a corrupt message is an error, not a crash. */
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
  wire_task h = {.magic = WIRE_MAGIC, .array = c->array, .lane = (uint16_t)lane, .seq = seq,
                 .first = c->first, .count = c->count, .in_size = c->in_size,
                 .out_size = c->out_size};
  snprintf(h.name, sizeof h.name, "%s", c->task_name ? c->task_name : "");
  size_t need = sizeof h;
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
  unsigned char *w = b->p + sizeof h;
  if (c->array) {
    memcpy(w, c->in, c->count * c->in_size);
  } else {
    uint64_t *lens = (uint64_t *)(void *)w;
    unsigned char *data = w + c->count * sizeof(uint64_t);
    for (size_t i = 0; i < c->count; i++) {
      const void *arg;
      size_t len;
      bool raw;
      (void)mp_pool_backend_item_arg(c, c->first + i, &arg, &len, &raw);
      uint64_t word = (uint64_t)len | (raw ? WIRE_RAW : 0);
      memcpy(&lens[i], &word, sizeof word);
      if (len) memcpy(data, arg, len);
      data += len;
    }
  }
  b->len = need;
  return 0;
}

/* A reply that carries only an error. */
static int error_reply(wire_buf *out, const wire_task *h, int code, int status, const char *msg) {
  if (mp__wire_reserve(out, sizeof(wire_reply))) return -ENOMEM;
  wire_reply r = {.magic = WIRE_MAGIC, .lane = h ? h->lane : 0, .seq = h ? h->seq : 0,
                  .code = code, .status = status};
  snprintf(r.message, sizeof r.message, "%s", msg);
  memcpy(out->p, &r, sizeof r);
  out->len = sizeof r;
  return 0;
}

static int run_array(const wire_task *h, const unsigned char *in, size_t avail, wire_buf *out,
                     const char *where) {
  char msg[MP_TASK_MSG_MAX];
  if (h->in_size == 0 || h->count > avail / h->in_size || h->count * h->in_size != avail ||
      (h->out_size && h->count > (SIZE_MAX - sizeof(wire_reply)) / h->out_size))
    return error_reply(out, h, MP_ECORRUPT, 0, "a corrupt array chunk reached the worker rank");
  mp_map_fn fn = mp_map_task_named(h->name);
  if (fn == NULL) {
    snprintf(msg, sizeof msg, "%s has no element function registered as '%s'", where, h->name);
    return error_reply(out, h, MP_ENOTREG, 0, msg);
  }
  size_t outb = h->count * h->out_size;
  if (mp__wire_reserve(out, sizeof(wire_reply) + outb)) return -ENOMEM;
  size_t at = 0;
  msg[0] = '\0';
  int st = mp_map_task_run(fn, in, h->count, h->in_size,
                           h->out_size ? out->p + sizeof(wire_reply) : NULL, h->out_size, msg, &at);
  wire_reply r = {.magic = WIRE_MAGIC, .lane = h->lane, .seq = h->seq};
  if (st != 0) {
    r.code = MP_ETASK;
    r.status = st;
    if (msg[0])
      snprintf(r.message, sizeof r.message, "%s", msg);
    else
      snprintf(r.message, sizeof r.message, "element %llu returned status %d (%s)",
               (unsigned long long)(h->first + at), st, where);
    outb = 0;
  } else {
    r.count = h->out_size ? h->count : 0;
  }
  memcpy(out->p, &r, sizeof r);
  out->len = sizeof r + outb;
  return 0;
}

static int run_generic(const wire_task *h, const unsigned char *body, size_t avail,
                       wire_buf *out, const char *where) {
  char msg[MP_TASK_MSG_MAX];
  if (h->count > avail / sizeof(uint64_t))
    return error_reply(out, h, MP_ECORRUPT, 0, "a corrupt chunk reached the worker rank");
  const unsigned char *data = body + h->count * sizeof(uint64_t);
  size_t left = avail - h->count * sizeof(uint64_t);
  mp_task_fn fn = mp_task_named(h->name);
  if (fn == NULL) {
    snprintf(msg, sizeof msg, "%s has no task registered as '%s'", where, h->name);
    return error_reply(out, h, MP_ENOTREG, 0, msg);
  }
  /* The reply: header, then a length word per item, then the results, appended as they come. */
  size_t words = sizeof(wire_reply) + h->count * sizeof(uint64_t);
  if (mp__wire_reserve(out, words)) return -ENOMEM;
  out->len = words;
  wire_reply r = {.magic = WIRE_MAGIC, .lane = h->lane, .seq = h->seq, .count = h->count};
  for (uint64_t i = 0; i < h->count; i++) {
    uint64_t word;
    memcpy(&word, body + i * sizeof word, sizeof word);
    uint64_t len = word & ~WIRE_RAW;
    uint64_t res_word = WIRE_NONE;
    if (len > left) {
      r.code = MP_ECORRUPT;
      snprintf(r.message, sizeof r.message, "a corrupt chunk reached the worker rank");
    } else {
      mp_task_outcome o;
      int rc = mp_task_run(fn, h->first + i, data, len, (word & WIRE_RAW) != 0, &o);
      data += len;
      left -= len;
      if (rc != 0) {
        r.code = MP_ETASK;
        r.status = rc;
        snprintf(r.message, sizeof r.message, "the result of item %llu could not be kept (%s)",
                 (unsigned long long)(h->first + i), where);
      } else if (o.status != 0) {
        r.code = MP_ETASK;
        r.status = o.status;
        if (o.message[0])
          snprintf(r.message, sizeof r.message, "%s", o.message);
        else
          snprintf(r.message, sizeof r.message, "task %llu returned status %d (%s)",
                   (unsigned long long)(h->first + i), o.status, where);
      } else if (o.result) {
        if (mp__wire_reserve(out, out->len + o.len)) {
          free(o.result);
          return error_reply(out, h, -ENOMEM, 0, "the worker rank ran out of memory");
        }
        memcpy(out->p + out->len, o.result, o.len);
        out->len += o.len;
        res_word = (uint64_t)o.len | (o.raw ? WIRE_RAW : 0);
      }
      free(o.result);
    }
    memcpy(out->p + sizeof r + i * sizeof res_word, &res_word, sizeof res_word);
    if (r.code != 0) { /* the items after a failure are not run, as in a local chunk */
      for (uint64_t k = i + 1; k < h->count; k++)
        memcpy(out->p + sizeof r + k * sizeof res_word, &(uint64_t){WIRE_NONE}, sizeof res_word);
      break;
    }
  }
  memcpy(out->p, &r, sizeof r);
  return 0;
}

int mp__wire_run_task(const void *msg, size_t len, wire_buf *out) {
  wire_task h;
  char where[96];
  snprintf(where, sizeof where, "on MPI rank %d", mp__mpi.rank);
  if (len < sizeof h) return error_reply(out, NULL, MP_ECORRUPT, 0, "a short chunk message");
  memcpy(&h, msg, sizeof h);
  if (h.magic != WIRE_MAGIC || memchr(h.name, '\0', sizeof h.name) == NULL)
    return error_reply(out, &h, MP_ECORRUPT, 0, "a corrupt chunk message");
  const unsigned char *body = (const unsigned char *)msg + sizeof h;
  if (h.array) return run_array(&h, body, len - sizeof h, out, where);
  return run_generic(&h, body, len - sizeof h, out, where);
}

int mp__wire_reply_header(const void *msg, size_t len, wire_reply *hdr) {
  if (len < sizeof *hdr) return MP_ECORRUPT;
  memcpy(hdr, msg, sizeof *hdr);
  if (hdr->magic != WIRE_MAGIC || memchr(hdr->message, '\0', sizeof hdr->message) == NULL)
    return MP_ECORRUPT;
  return 0;
}

int mp__wire_store_reply(mp_pool *p, int slot, mp_pool_chunk *c, const void *msg, size_t len) {
  wire_reply r;
  if (mp__wire_reply_header(msg, len, &r))
    return mp_pool_backend_complete(p, slot, c, MP_ECORRUPT, 0, "a corrupt reply from a rank");
  const unsigned char *body = (const unsigned char *)msg + sizeof r;
  size_t avail = len - sizeof r;
  int code = r.code, status = r.status;
  const char *message = r.message;
  if (c->array) {
    size_t outb = c->count * c->out_size;
    if (r.count != 0 && (r.count != c->count || avail != outb)) {
      code = MP_ECORRUPT;
      message = "a reply of the wrong size from a rank";
    } else if (r.count != 0 && outb) {
      memcpy(c->out, body, outb);
    }
  } else if (r.count != c->count || avail / sizeof(uint64_t) < r.count) {
    if (code == 0 || r.count != 0) {
      code = MP_ECORRUPT;
      message = "a reply of the wrong size from a rank";
    }
  } else {
    const unsigned char *data = body + r.count * sizeof(uint64_t);
    size_t left = avail - r.count * sizeof(uint64_t);
    for (uint64_t i = 0; i < r.count; i++) {
      uint64_t word;
      memcpy(&word, body + i * sizeof word, sizeof word);
      if (word == WIRE_NONE) continue;
      uint64_t n = word & ~WIRE_RAW;
      if (n > left) {
        code = MP_ECORRUPT;
        message = "a reply of the wrong size from a rank";
        break;
      }
      int rc = mp_pool_backend_set_result(p, slot, c, c->first + i, data, n, (word & WIRE_RAW) != 0);
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
