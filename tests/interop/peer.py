#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A Python peer for tests/test_conn_listener.c.

    peer.py ROLE ADDRESS KEY

ROLE is one of
  client           multiprocessing.connection.Client(ADDRESS, authkey=KEY)
  listener         multiprocessing.connection.Listener(ADDRESS, authkey=KEY), one accept
  modern-client    a client speaking the "{sha256}" handshake of Python 3.12+ (below)
  modern-listener  a listener speaking it
ADDRESS is in multiproc's string form ("@name", "/path", "host:port"); KEY is the auth key
as text, or "-" for none.  A listener prints its address on the first line of stdout once it
listens.  After the handshake the client sends b"ping from python" and expects
b"pong:" + that back; the listener answers one message that way.
Exit status: 0 done, 3 authentication failed, 4 anything else.

The "modern" roles implement the handshake as CPython 3.12+ does, so that it can be tested
with the python3 at hand whatever its version: the challenge is b"#CHALLENGE#{sha256}" and 40
random bytes; a challenge in that form is answered with b"{sha256}" and the HMAC-SHA256 of the
whole message after "#CHALLENGE#"; a bare 20-byte challenge is answered with a bare HMAC-MD5.
These peers are strict: they refuse a bare HMAC-MD5 answer to a "{sha256}" challenge (3.12
would accept it), so a test proves that multiproc answers in the modern form."""
import hmac
import os
import sys
from multiprocessing import connection

CHALLENGE, WELCOME, FAILURE = b"#CHALLENGE#", b"#WELCOME#", b"#FAILURE#"


def to_python_address(a):
    if a.startswith("@"):
        return "\0" + a[1:]
    if "/" in a:
        return a
    host, _, port = a.rpartition(":")
    return (host.strip("[]"), int(port))


def from_python_address(a, given):
    if isinstance(a, tuple):
        return f"{a[0]}:{a[1]}"
    return given


def modern_deliver(conn, key):
    message = b"{sha256}" + os.urandom(40)
    conn.send_bytes(CHALLENGE + message)
    response = conn.recv_bytes(256)
    want = b"{sha256}" + hmac.new(key, message, "sha256").digest()
    if not hmac.compare_digest(response, want):
        conn.send_bytes(FAILURE)
        raise connection.AuthenticationError("wrong or non-modern response")
    conn.send_bytes(WELCOME)


def modern_answer(conn, key):
    message = conn.recv_bytes(256)
    if not message.startswith(CHALLENGE):
        raise connection.AuthenticationError("not a challenge")
    message = message[len(CHALLENGE):]
    if len(message) == 20:
        response = hmac.new(key, message, "md5").digest()
    else:
        end = message.index(b"}")
        name = message[1:end]
        if not message.startswith(b"{") or name not in (b"sha256", b"sha384", b"md5",
                                                        b"sha3_256", b"sha3_384"):
            raise connection.AuthenticationError("unknown challenge form")
        response = b"{" + name + b"}" + hmac.new(key, message, name.decode()).digest()
    conn.send_bytes(response)
    if conn.recv_bytes(256) != WELCOME:
        raise connection.AuthenticationError("answer rejected")


def talk_as_client(conn):
    conn.send_bytes(b"ping from python")
    if conn.recv_bytes() != b"pong:ping from python":
        raise RuntimeError("wrong reply")


def talk_as_listener(conn):
    conn.send_bytes(b"pong:" + conn.recv_bytes())


def main():
    role, address, key = sys.argv[1], sys.argv[2], sys.argv[3]
    key = None if key == "-" else key.encode()
    addr = to_python_address(address)
    try:
        if role == "client":
            conn = connection.Client(addr, authkey=key)
            talk_as_client(conn)
        elif role == "modern-client":
            conn = connection.Client(addr)
            modern_answer(conn, key)
            modern_deliver(conn, key)
            talk_as_client(conn)
        elif role in ("listener", "modern-listener"):
            modern = role == "modern-listener"
            with connection.Listener(addr, authkey=None if modern else key) as lst:
                print(from_python_address(lst.address, address), flush=True)
                conn = lst.accept()
                if modern:
                    modern_deliver(conn, key)
                    modern_answer(conn, key)
                talk_as_listener(conn)
        else:
            raise SystemExit(f"unknown role {role}")
        conn.close()
    except connection.AuthenticationError as e:
        print(f"peer.py: {e}", file=sys.stderr)
        return 3
    except Exception as e:  # anything else is a test failure with a reason
        print(f"peer.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
