/* SPDX-License-Identifier: MIT */
/* stage.c -- the pool's cache of staging blocks: the heap copies of arrays that lie outside the
 * shared heap (mp_pool_map_array on malloc'd memory).  A fresh heap block costs a page fault per
 * page on first touch and is punched out again when freed, which for a large map costs more
 * than the map itself; keeping the last few blocks makes repeated maps run at memcpy speed.
 * The cache lives in the pool's process only and outlives the pool while jobs still hold
 * blocks from it. */
#include <stdlib.h>

#include "heap/heap.h"
#include "pool/pool_internal.h"

pool_stage *mp__stage_new(void) {
  pool_stage *st = calloc(1, sizeof *st);
  if (st == NULL) return NULL;
  pthread_mutex_init(&st->mu, NULL);
  st->refs = 1;
  st->open = true;
  return st;
}

static void unref_locked(pool_stage *st) {
  if (--st->refs > 0) {
    pthread_mutex_unlock(&st->mu);
    return;
  }
  pthread_mutex_unlock(&st->mu);
  pthread_mutex_destroy(&st->mu);
  free(st);
}

void *mp__stage_take(pool_stage *st, size_t size, size_t *got) {
  pthread_mutex_lock(&st->mu);
  int best = -1;
  for (int i = 0; i < STAGE_BLOCKS; i++)
    if (st->blk[i].ptr && st->blk[i].size >= size &&
        (best < 0 || st->blk[i].size < st->blk[best].size))
      best = i;
  void *p = NULL;
  if (best >= 0) {
    p = st->blk[best].ptr;
    *got = st->blk[best].size;
    st->blk[best].ptr = NULL;
  }
  if (p) st->refs++;
  pthread_mutex_unlock(&st->mu);
  if (p) return p;
  /* Whole pages, so a block fits any later request that rounds to the same size. */
  size_t rounded = (size + 4095) & ~(size_t)4095;
  p = mp__shared_alloc(rounded);
  if (p == NULL) return NULL;
  *got = rounded;
  pthread_mutex_lock(&st->mu);
  st->refs++;
  pthread_mutex_unlock(&st->mu);
  return p;
}

void mp__stage_give(pool_stage *st, void *p, size_t size) {
  pthread_mutex_lock(&st->mu);
  if (st->open) {
    int slot = -1;
    for (int i = 0; i < STAGE_BLOCKS; i++) {
      if (st->blk[i].ptr == NULL) {
        slot = i;
        break;
      }
      if (slot < 0 || st->blk[i].size < st->blk[slot].size) slot = i;
    }
    if (st->blk[slot].ptr == NULL || st->blk[slot].size < size) {
      void *old = st->blk[slot].ptr;
      size_t oldsize = st->blk[slot].size;
      st->blk[slot].ptr = p;
      st->blk[slot].size = size;
      p = old;
      size = oldsize;
    }
  }
  if (p) mp__shared_free(p, size);
  unref_locked(st); /* unlocks */
}

void mp__stage_close(pool_stage *st) {
  if (st == NULL) return;
  pthread_mutex_lock(&st->mu);
  st->open = false;
  for (int i = 0; i < STAGE_BLOCKS; i++) {
    if (st->blk[i].ptr) mp__shared_free(st->blk[i].ptr, st->blk[i].size);
    st->blk[i].ptr = NULL;
  }
  unref_locked(st);
}
