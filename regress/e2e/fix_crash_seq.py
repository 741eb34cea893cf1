#!/usr/bin/env python3
"""A gateway crash must not reuse outgoing sequence numbers
(regress/e2e/fix_crash_seq.sh).

    fix_crash_seq.py before PORT PASSWORD STATE_DIR
        logs on, writes STATE_DIR/logged_on, waits for STATE_DIR/locked (the
        store is stalled), sends three orders, writes the highest MsgSeqNum it
        received and its own next one to STATE_DIR/seqs, exits
    fix_crash_seq.py after PORT PASSWORD STATE_DIR
        logs on again without a reset: the gateway's Logon must carry a
        MsgSeqNum above every one received before the crash; a ResendRequest
        for the numbers in between gets a SequenceReset-GapFill; an order is
        acknowledged

Prints "ok ..." lines; exits 1 at the first step that fails.
"""
import os
import socket
import sys
import time

phase, port, password, state = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def frame(body):
    m = "8=FIX.4.4\x019=%d\x01" % len(body) + body
    return (m + "10=%03d\x01" % (sum(m.encode()) % 256)).encode()


def fail(what):
    print("FAIL: " + what)
    sys.exit(1)


class Conn:
    def __init__(self, seq):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.seq, self.buf, self.highest = seq, b"", 0

    def send(self, mt, fields, seq=None):
        t = time.strftime("%Y%m%d-%H:%M:%S.000", time.gmtime())
        b = "35=%s\x0149=FIX_BROKER_A\x0156=PGX\x0134=%d\x0152=%s\x01" % (
            mt, seq or self.seq, t)
        self.s.sendall(frame(b + "".join("%d=%s\x01" % (k, v) for k, v in fields)))
        if seq is None:
            self.seq += 1

    def recv(self, timeout=10):
        end = time.time() + timeout
        while True:
            i = self.buf.find(b"\x0110=")
            if i >= 0 and len(self.buf) >= i + 8:
                m, self.buf = self.buf[: i + 8], self.buf[i + 8:]
                d = dict((int(f.split(b"=", 1)[0]), f.split(b"=", 1)[1].decode())
                         for f in m.split(b"\x01") if f)
                self.highest = max(self.highest, int(d.get(34, "0")))
                return d
            left = end - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                return None
            if not data:
                return None
            self.buf += data

    def expect(self, what, mt, **tags):
        """The next message of type mt (heartbeats and others skipped)."""
        end, skipped = time.time() + 10, []
        while time.time() < end:
            m = self.recv(end - time.time())
            if m is None:
                break
            if m.get(35) != mt:
                skipped.append(m)
            else:
                for k, v in tags.items():
                    if m.get(int(k[1:])) != v:
                        fail("%s: tag %s is %r, expected %r (%r)" % (what, k[1:], m.get(int(k[1:])), v, m))
                print("ok " + what)
                return m
        fail(what + ": no %s message (got %r)" % (mt, skipped))


def order(c, clordid):
    c.send("D", [(11, clordid), (1, "FA1"), (55, "FXT"), (54, 1),
                 (60, time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())), (38, 1), (40, 2),
                 (44, "1.00"), (59, 0)])


if phase == "before":
    c = Conn(1)
    c.send("A", [(98, 0), (108, 30), (141, "Y"), (553, "fix_broker_a"), (554, password)])
    c.expect("logged on (sequence numbers reset)", "A")
    open(os.path.join(state, "logged_on"), "w").close()
    end = time.time() + 30
    while not os.path.exists(os.path.join(state, "locked")):
        if time.time() > end:
            fail("the store was not stalled in time")
        time.sleep(0.05)
    for i in range(3):
        order(c, "before-%d" % i)
        c.expect("order %d acknowledged while the store is stalled" % i, "8", t150="0")
    with open(os.path.join(state, "seqs"), "w") as f:
        f.write("%d %d\n" % (c.highest, c.seq))
    print("ok received up to MsgSeqNum %d before the crash" % c.highest)
else:
    with open(os.path.join(state, "seqs")) as f:
        highest, own = (int(x) for x in f.read().split())
    c = Conn(own)
    c.send("A", [(98, 0), (108, 30), (553, "fix_broker_a"), (554, password)])
    m = c.expect("logged on again without a reset", "A")
    if int(m[34]) <= highest:
        fail("the gateway's Logon has MsgSeqNum %s, not above %d sent before the crash"
             % (m[34], highest))
    print("ok the gateway's numbers went on above %d (Logon %s)" % (highest, m[34]))
    # our numbers were not stored either: the gateway asks for them again, and
    # we gap-fill (as a FIX engine does for orders it will not send twice)
    r = c.expect("the gateway asks for our messages it did not store", "2")
    c.send("4", [(43, "Y"), (122, time.strftime("%Y%m%d-%H:%M:%S.000", time.gmtime())),
                 (123, "Y"), (36, c.seq)], seq=int(r[7]))
    c.send("2", [(7, highest + 1), (16, 0)])
    g = c.expect("the skipped numbers are gap-filled", "4", t123="Y")
    if int(g[34]) != highest + 1 or int(g[36]) <= int(m[34]):
        fail("gap fill %r does not cover %d..%s" % (g, highest + 1, m[34]))
    order(c, "after")
    c.expect("an order after the restart is acknowledged", "8", t150="0")
