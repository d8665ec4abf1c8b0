#!/usr/bin/python3
"""DHT interop: evermirror's DhtNode against a reference mainline DHT node.

Topology (all on 127.0.0.1 inside the network namespace tests/tools/netns_run.sh made):
  E1 (em_dht_cli) <-> REF (bittorrent-dht@11 or libtorrent 2.0.8) <- E2 (em_dht_cli)
REF bootstraps off E1 and E1 off REF; E2 knows only REF. E1 announces IH_E; REF announces
IH_R. Passes when REF finds E1's announce with get_peers, E1 and E2 find REF's announce,
and each side stored the other's announce_peer (tokens interoperate both ways).
  dht_interop.py --reference {bittorrent-dht,libtorrent} --em-cli PATH --npm-dir DIR
"""
import argparse
import os
import queue
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Dat's info_hash is the first 20 bytes of a 32-byte discovery key.
DKEY_E = "3c1f6a0e5d7b9a2c4e6f8a0b2c4d6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9"
DKEY_R = "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddccbbaa99887766554433221100"
IH_E = DKEY_E[:40]
IH_R = DKEY_R[:40]
EM_PORT = 7001
REF_PORT = 6001


class Peer:
    """A child process speaking the line protocol; lines are queued by a reader thread."""

    def __init__(self, name, argv):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.all = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.all.append(line)
            self.lines.put(line)

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def wait_for(self, pattern, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                break
            m = re.match(pattern, line)
            if m:
                return m
        raise AssertionError("%s: no line matching %r within %ss; got %r" % (self.name, pattern, timeout, self.all[-20:]))

    def stats(self):
        self.send("stats")
        m = self.wait_for(r"stats (.*)", 10)
        return dict(kv.split("=", 1) for kv in m.group(1).split())

    def stop(self):
        try:
            self.send("quit")
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()


def find(peer, info_hash, want_port, deadline_s):
    """Runs lookups until one yields 127.0.0.1:want_port; returns seconds taken. A lookup
    that never reports done (a node that dropped it) is simply started again."""
    start = time.time()
    while time.time() - start < deadline_s:
        peer.send("lookup " + info_hash)
        while True:
            try:
                m = peer.wait_for(r"(peer|lookup_done) %s ?(\S*)" % info_hash, 20)
            except AssertionError:
                break
            if m.group(1) == "peer" and m.group(2) == "127.0.0.1:%d" % want_port:
                return time.time() - start
            if m.group(1) == "lookup_done":
                break
        time.sleep(1)
    raise AssertionError("%s never found %s at port %d" % (peer.name, info_hash, want_port))


def reference_argv(args, bootstrap):
    if args.reference == "bittorrent-dht":
        if not os.path.isdir(os.path.join(args.npm_dir, "node_modules", "bittorrent-dht")):
            sys.exit("bittorrent-dht is not installed: run tests/interop/setup.sh")
        return ["node", os.path.join(HERE, "bt_dht_peer.mjs"), args.npm_dir, "--bootstrap=" + bootstrap]
    return ["/usr/bin/python3", os.path.join(HERE, "lt_peer.py"), "--bootstrap=" + bootstrap]


def run(args):
    peers = []
    try:
        e1 = Peer("E1", [args.em_cli])
        peers.append(e1)
        e1_addr = e1.wait_for(r"listening (\S+)", 10).group(1)
        ref = Peer("REF", reference_argv(args, e1_addr))
        peers.append(ref)
        ref_addr = ref.wait_for(r"listening (\S+)", 30).group(1)
        ref_port = int(ref_addr.rsplit(":", 1)[1]) if args.reference == "libtorrent" else REF_PORT
        e1.send("bootstrap " + ref_addr)
        e2 = Peer("E2", [args.em_cli, "--bootstrap=" + ref_addr])
        peers.append(e2)
        e2.wait_for(r"listening (\S+)", 10)
        time.sleep(2)  # let the three nodes exchange find_node

        e1.send("announce %s %d" % (IH_E, EM_PORT))
        ref.send("announce %s %d" % (IH_R, REF_PORT))
        t = find(ref, IH_E, EM_PORT, 90)
        print("%s found evermirror's announce in %.1f s" % (args.reference, t))
        t = find(e2, IH_R, ref_port, 90)
        print("evermirror (E2, via %s) found %s's announce in %.1f s" % (args.reference, args.reference, t))
        t = find(e1, IH_R, ref_port, 30)
        print("evermirror (E1) found %s's announce in %.1f s" % (args.reference, t))

        # Finding the reference's announce can beat its announce_peer to E1 (it also answers
        # get_peers from its own store): give that query a moment to land before counting it.
        e1_stats = e1.stats()
        deadline = time.time() + 15
        while int(e1_stats["announces_stored"]) < 1 and time.time() < deadline:
            time.sleep(0.5)
            e1_stats = e1.stats()
        ref_stats = ref.stats()
        print("E1 %s" % e1_stats)
        print("REF %s" % ref_stats)
        assert int(e1_stats["announces_stored"]) >= 1, "the reference never announced to evermirror"
        assert int(e1_stats["announces_acked"]) >= 1, "the reference never accepted evermirror's announce"
        assert int(e1_stats["errors_in"]) == 0, "the reference answered evermirror with KRPC errors"
        assert int(e1_stats["malformed_in"]) == 0, "evermirror could not parse something the reference sent"
        print("PASS dht interop with %s" % args.reference)
        return 0
    finally:
        for p in peers:
            p.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", choices=["bittorrent-dht", "libtorrent"], required=True)
    parser.add_argument("--em-cli", required=True)
    parser.add_argument("--npm-dir", default=os.path.join(HERE, "..", "interop", "npm", "bittorrent-dht"))
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
