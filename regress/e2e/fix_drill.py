#!/usr/bin/env python3
"""The FIX gateway's bad-input drill (regress/e2e/fix_bad_input.sh).

A raw FIX speaker, so that it can send what no FIX engine would: garbage,
bad checksums and lengths, missing tags, unknown message types, another
broker's account, 10,000 Logons from one address, and then guesses at the
same session from other addresses.  A well-behaved
session trades before and after every step: the others are unaffected.

    fix_drill.py PORT PASSWORD_A PASSWORD_B

Prints one "ok ..." line a step; exits 1 at the first step that fails.
"""
import socket
import sys
import time

SOH = "\x01"
port = int(sys.argv[1])
pw_a, pw_b = sys.argv[2], sys.argv[3]


def frame(body):
    m = "8=FIX.4.4\x019=%d\x01" % len(body) + body
    return (m + "10=%03d\x01" % (sum(m.encode()) % 256)).encode()


class Conn:
    def __init__(self, sender, source="127.0.0.1"):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10,
                                          source_address=(source, 0))
        self.sender, self.seq, self.buf = sender, 1, b""

    def body(self, mt, fields, seq=None):
        t = time.strftime("%Y%m%d-%H:%M:%S.000", time.gmtime())
        b = "35=%s\x0149=%s\x0156=PGX\x0134=%d\x0152=%s\x01" % (mt, self.sender, seq or self.seq, t)
        return b + "".join("%d=%s\x01" % (k, v) for k, v in fields)

    def send(self, mt, fields):
        self.s.sendall(frame(self.body(mt, fields)))
        self.seq += 1

    def raw(self, data):
        self.s.sendall(data)

    def recv(self, timeout=10):
        end = time.time() + timeout
        while True:
            i = self.buf.find(b"\x0110=")
            if i >= 0 and len(self.buf) >= i + 8:
                m, self.buf = self.buf[: i + 8], self.buf[i + 8 :]
                return dict(
                    (int(f.split(b"=", 1)[0]), f.split(b"=", 1)[1].decode())
                    for f in m.split(b"\x01")
                    if f
                )
            left = end - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                return None
            if not d:
                return None
            self.buf += d

    def closed(self, timeout=10):
        """True when the gateway closes the connection within timeout."""
        end = time.time() + timeout
        while time.time() < end:
            self.s.settimeout(end - time.time())
            try:
                if not self.s.recv(65536):
                    return True
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
        return False

    def logon(self, user, password, reset=True):
        f = [(98, 0), (108, 30), (553, user), (554, password)]
        if reset:
            f.append((141, "Y"))
        self.send("A", f)
        return self.recv()


def fail(what):
    print("FAIL: " + what)
    sys.exit(1)


def expect(m, what, **tags):
    if m is None:
        fail(what + ": no answer")
    for k, v in tags.items():
        tag = int(k[1:])
        if m.get(tag) != v:
            fail("%s: tag %d is %r, expected %r (message %r)" % (what, tag, m.get(tag), v, m))
    print("ok " + what)


n_order = [0]


def order(c, account="FA1", **extra):
    n_order[0] += 1
    f = [(11, "o%d" % n_order[0]), (1, account), (55, "FXT"), (54, 1),
         (60, time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())), (38, 1), (40, 2), (44, "1.00"),
         (59, 0)]
    drop = extra.get("drop")
    f = [x for x in f if x[0] != drop]
    c.send("D", f)
    return c.recv()


def healthy(a, step):
    """The well-behaved session still trades: an order is acknowledged."""
    m = order(a)
    if m is None or m.get(35) != "8" or m.get(150) != "0":
        fail("after %s the good session got %r" % (step, m))


a = Conn("FIX_BROKER_A")
expect(a.logon("fix_broker_a", pw_a), "the good session logs on", t35="A")
healthy(a, "logon")

# garbage before a Logon: the connection is dropped, nothing is answered
g = Conn("X")
g.raw(b"\x00\xff garbage that is not FIX at all \r\n" * 50)
if not g.closed():
    fail("garbage did not end the connection")
print("ok garbage before a Logon: disconnected")
healthy(a, "garbage")

# a first message that is not a Logon
g = Conn("FIX_BROKER_B")
g.send("D", [(11, "z"), (1, "FB1")])
if not g.closed():
    fail("a NewOrderSingle before a Logon did not end the connection")
print("ok a first message other than Logon: disconnected")

# an unknown session
g = Conn("NOBODY")
m = g.logon("nobody", "x")
expect(m, "a Logon of an unknown session gets a Logout", t35="5")
if "unknown session" not in m.get(58, ""):
    fail("the Logout does not say why: %r" % m)
healthy(a, "unknown session")

# a bad checksum and a bad BodyLength on a logged-on session: dropped silently,
# the session goes on (a TestRequest is still answered)
b = Conn("FIX_BROKER_B")
expect(b.logon("fix_broker_b", pw_b), "the second session logs on", t35="A")
bad = bytearray(frame(b.body("1", [(112, "lost")])))
bad[-4:-1] = b"000" if bad[-4:-1] != b"000" else b"001"
b.raw(bytes(bad))  # same MsgSeqNum below: a garbled message is never counted
body = b.body("1", [(112, "lost2")])
bl = frame(body).replace(b"\x019=%d\x01" % len(body), b"\x019=%d\x01" % (len(body) - 5), 1)
b.raw(bl)  # a BodyLength too short: the body does not end where it says
b.send("1", [(112, "still-there")])
m = b.recv()
expect(m, "bad checksum and BodyLength are dropped, the session answers a TestRequest",
       t35="0", t112="still-there")
# a BodyLength beyond the gateway's maximum: garbled at once
b.raw(b"8=FIX.4.4\x019=99999999\x0135=D\x01")
b.send("1", [(112, "after-huge")])
m = b.recv()
expect(m, "an absurd BodyLength is dropped", t35="0", t112="after-huge")
healthy(a, "bad framing")

# missing tags: a session-level Reject naming the tag
m = order(b, account="FB1", drop=55)
expect(m, "NewOrderSingle without Symbol: Reject 373=1 371=55", t35="3", t373="1", t371="55")
m = order(b, account="FB1", drop=38)
expect(m, "NewOrderSingle without OrderQty: Reject 371=38", t35="3", t371="38")
# a MsgType FIX 4.4 does not define
b.send("ZZ", [(11, "q")])
m = b.recv()
expect(m, "unknown MsgType ZZ: Reject 373=11", t35="3", t373="11")
# another broker's account: the SQL text
m = order(b, account="FA1")
expect(m, "another broker's account: ExecutionReport rejected 103=15", t35="8", t150="8",
       t103="15")
if m.get(58) != 'account "FA1" does not exist or does not belong to role "fix_broker_b"':
    fail("the refusal text is not submit_order's: %r" % m.get(58))
healthy(a, "refusals")

# 10,000 Logons with a bad password from one address: each gets a Logout with
# a reason; after --max-logon-failures they are refused without asking
# PostgreSQL; the good session is unaffected
t0 = time.time()
reasons = {}
for i in range(10000):
    g = Conn("FIX_BROKER_C")
    m = g.logon("fix_broker_c", "wrong-%d" % i)
    if m is None or m.get(35) != "5":
        fail("logon attempt %d got %r" % (i, m))
    reasons[m.get(58)] = reasons.get(m.get(58), 0) + 1
    g.s.close()
    if i % 2000 == 1999:
        healthy(a, "%d bad logons" % (i + 1))
print("ok 10000 bad logons in %.1f s: %s" % (time.time() - t0, reasons))
if len(reasons) != 2 or not any("too many failed logons" in r for r in reasons):
    fail("the flood was not throttled: %r" % reasons)
healthy(a, "the logon flood")

# the same guessing from other addresses: the session's own limit
# (--max-session-logon-failures) refuses it unchecked; another session's bad
# password from a fresh address is still checked by PostgreSQL
g = Conn("FIX_BROKER_C", source="127.0.0.2")
m = g.logon("fix_broker_c", "wrong-from-elsewhere")
g.s.close()
if m is None or m.get(35) != "5" or "too many failed logons for this session" not in m.get(58, ""):
    fail("a guess at the flooded session from another address got %r" % m)
print("ok a guess from another address: %s" % m.get(58))
b.s.close()  # session B's connection ends; the gateway may take a moment to see it
for _ in range(100):
    g = Conn("FIX_BROKER_B", source="127.0.0.3")
    m = g.logon("fix_broker_b", "wrong")
    g.s.close()
    if m is None or m.get(58) != "session already logged on":
        break
    time.sleep(0.05)
if m is None or m.get(35) != "5" or m.get(58) != "logon refused: bad Username or Password":
    fail("another session's bad password from a fresh address got %r" % m)
print("ok another session from a fresh address is checked: %s" % m.get(58))
healthy(a, "guesses from other addresses")
print("ok drill done")
