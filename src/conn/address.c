/* SPDX-License-Identifier: MIT */
/* address.c -- Listener/Client address strings: "path/with/slash", "@abstract", "host:port",
 * "[v6addr]:port" to socket addresses, and back. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conn/listener_internal.h"

/* Room for the name in sun_path: a path needs its NUL, an abstract name has a leading NUL. */
#define SUN_ROOM (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static int unix_addr(const char *name, size_t len, bool abstract, mp__sockaddr *out) {
  if (len == 0) return -EINVAL;
  if (len > SUN_ROOM) return -ENAMETOOLONG;
  struct sockaddr_un *un = (struct sockaddr_un *)&out->ss;
  memset(un, 0, sizeof *un);
  un->sun_family = AF_UNIX;
  /* An abstract name is sun_path[0] == 0 followed by exactly len bytes: the length given to
   * bind() is part of the name, so no trailing NUL is counted. */
  memcpy(un->sun_path + (abstract ? 1 : 0), name, len);
  out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
  return 0;
}

static int resolve_error(int e) {
  switch (e) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
    case EAI_FAIL:
    case EAI_ADDRFAMILY: return -ENXIO;
    case EAI_AGAIN: return -EAGAIN;
    case EAI_MEMORY: return -ENOMEM;
    case EAI_SYSTEM: return errno > 0 ? -errno : -EIO;
    default: return -EINVAL;
  }
}

/* "host:port" (family AF_INET) or "[host]:port" (AF_INET6): the host part and the port. */
static int split_host_port(const char *s, char *host, size_t cap, char *port, int *family) {
  const char *colon;
  const char *h = s;
  size_t hlen;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (close == NULL || close[1] != ':')
      return mp__fail(-EINVAL, "address \"%s\": an IPv6 address is \"[addr]:port\"", s);
    h = s + 1;
    hlen = (size_t)(close - h);
    colon = close + 1;
    *family = AF_INET6;
  } else {
    colon = strrchr(s, ':');
    if (colon == NULL)
      return mp__fail(-EINVAL,
                      "address \"%s\" has no port: expected \"host:port\", \"[v6addr]:port\", "
                      "a path with a '/' or \"@name\"",
                      s);
    hlen = (size_t)(colon - s);
    if (memchr(s, ':', hlen) != NULL) /* a bare IPv6 address needs brackets */
      return mp__fail(-EINVAL, "address \"%s\": an IPv6 address is \"[addr]:port\"", s);
    *family = AF_INET;
  }
  if (hlen >= cap) return -ENAMETOOLONG;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  const char *p = colon + 1;
  size_t plen = strlen(p);
  if (plen == 0 || plen > 5 || strspn(p, "0123456789") != plen || atoi(p) > 65535)
    return mp__fail(-EINVAL, "address \"%s\": the port \"%s\" is not a number from 0 to 65535", s,
                    p);
  memcpy(port, p, plen + 1);
  return 0;
}

int mp__addr_resolve(const char *address, bool passive, mp__sockaddr *out, int max) {
  mp__fail_clear();
  if (address == NULL || max < 1) return -EINVAL;
  size_t len = strlen(address);
  if (len >= MP_ADDRESS_MAX) return -ENAMETOOLONG;
  if (address[0] == '@') {
    int rc = unix_addr(address + 1, len - 1, true, out);
    return rc < 0 ? rc : 1;
  }
  if (strchr(address, '/') != NULL) {
    int rc = unix_addr(address, len, false, out);
    return rc < 0 ? rc : 1;
  }
  char host[MP_ADDRESS_MAX], port[8];
  int family = AF_UNSPEC;
  int rc = split_host_port(address, host, sizeof host, port, &family);
  if (rc < 0) return rc;
  struct addrinfo hints = {.ai_family = family,
                           .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)};
  struct addrinfo *res = NULL;
  /* An empty host: every interface for a listener, the loopback address for a client. */
  int e = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
  if (e != 0) {
    rc = resolve_error(e);
    return mp__fail(rc, "address \"%s\": cannot resolve \"%s\" (%s)", address, host,
                    e == EAI_SYSTEM ? mp_strerror(rc) : gai_strerror(e));
  }
  int n = 0;
  for (struct addrinfo *ai = res; ai != NULL && n < max; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof out[n].ss) continue;
    memcpy(&out[n].ss, ai->ai_addr, ai->ai_addrlen);
    out[n].len = ai->ai_addrlen;
    n++;
  }
  freeaddrinfo(res);
  return n > 0 ? n : -ENXIO;
}

int mp__addr_format(const mp__sockaddr *a, char *buf) {
  char ip[INET6_ADDRSTRLEN];
  int n;
  switch (a->ss.ss_family) {
    case AF_UNIX: {
      const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
      size_t off = offsetof(struct sockaddr_un, sun_path);
      if (a->len <= off + 1) return -EINVAL; /* unnamed */
      if (un->sun_path[0] == '\0')
        n = snprintf(buf, MP_ADDRESS_MAX, "@%.*s", (int)(a->len - off - 1), un->sun_path + 1);
      else
        n = snprintf(buf, MP_ADDRESS_MAX, "%.*s", (int)SUN_ROOM, un->sun_path);
      break;
    }
    case AF_INET: {
      const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
      inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
      n = snprintf(buf, MP_ADDRESS_MAX, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
      break;
    }
    case AF_INET6: {
      const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
      inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
      n = snprintf(buf, MP_ADDRESS_MAX, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
      break;
    }
    default: return -EINVAL;
  }
  return n < 0 || n >= MP_ADDRESS_MAX ? -ENAMETOOLONG : 0;
}
