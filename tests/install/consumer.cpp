// SPDX-License-Identifier: MIT
// consumer.cpp -- a C++17 program built against an installed multiproc: the headers parse as
// C++ (no C-only keywords), and a child process, a queue, a lock, a pool map, a registered
// manager type and an error code work from C++ code.
#include <multiproc.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace {

int square(const void *in, void *out) {
  auto x = *static_cast<const int *>(in);
  *static_cast<int *>(out) = x * x;
  return 0;
}
MP_MAP_TASK(square);

int child(void *arg) {
  auto *q = static_cast<mp_queue *>(arg);
  const char msg[] = "from a C++ child";
  return mp_queue_put_bytes(q, msg, sizeof msg, MP_FOREVER) == 0 ? 0 : 1;
}

int counter_create(mp_manager_ctx *, const mp_obj *, void *, void **self) {
  *self = nullptr;
  return 0;
}

mp_manager_type counter_type() {
  mp_manager_type t{}; // C++17 has no designated initializers
  t.type_id = "Counter";
  t.create = counter_create;
  return t;
}

int fail(const char *what) {
  std::fprintf(stderr, "consumer.cpp: %s\n", what);
  return 1;
}

} // namespace

int main() {
  mp_queue *q = nullptr;
  if (mp_queue_new(&q, 0) != 0) return fail("mp_queue_new");
  mp_process *p = nullptr;
  if (mp_process_new(&p, child, q, nullptr) != 0 || mp_process_start(p) != 0) return fail("start");
  char buf[64];
  size_t len = 0;
  if (mp_queue_get_bytes(q, buf, sizeof buf, &len, 10000) != 0 ||
      std::strcmp(buf, "from a C++ child") != 0)
    return fail("queue get");
  int code = -1;
  if (mp_process_join(p, 10000) != 0 || mp_process_exitcode(p, &code) != 0 || code != 0)
    return fail("join");
  mp_process_free(p);
  mp_queue_free(q);

  mp_lock_t *lock = nullptr;
  if (mp_lock_new(&lock) != 0 || mp_lock_acquire(lock, 0) != 0 ||
      mp_lock_acquire(lock, 0) != MP_ETIMEDOUT || mp_lock_release(lock) != 0)
    return fail("lock");
  mp_lock_free(lock);

  mp_pool *pool = nullptr;
  std::vector<int> in{1, 2, 3, 4, 5}, out(in.size());
  if (mp_pool_new(&pool, nullptr) != 0 ||
      mp_pool_map_array(pool, square, in.data(), in.size(), sizeof(int), out.data(), sizeof(int), 0,
                        MP_FOREVER) != 0)
    return fail("pool map");
  if (out != std::vector<int>{1, 4, 9, 16, 25}) return fail("pool results");
  if (mp_pool_close(pool) != 0 || mp_pool_join(pool, 10000) != 0) return fail("pool join");
  mp_pool_free(pool);

  static const mp_manager_type counter = counter_type();
  mp_manager *m = nullptr;
  mp_proxy *c = nullptr;
  if (mp_manager_new(&m, nullptr) != 0 || mp_manager_register(m, &counter) != 0 ||
      mp_manager_start(m) != 0 || mp_manager_create(m, "Counter", nullptr, &c) != 0)
    return fail("manager");
  mp_proxy_free(c);
  if (mp_manager_shutdown(m) != 0) return fail("manager shutdown");
  mp_manager_free(m);

  std::printf("consumer.cpp ok: %s %s\n", MP_VERSION_STRING, mp_err_name(MP_ETIMEDOUT));
  return 0;
}
