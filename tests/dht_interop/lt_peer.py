#!/usr/bin/python3
"""A libtorrent 2.0.8 reference DHT node for the DHT interop tests, speaking the same line
protocol as em_dht_cli (stdin: announce HEX PORT | lookup HEX | stats | quit; stdout: listening,
id, peer, lookup_done, ok, error). DHT only: no LSD, UPnP, NAT-PMP, no built-in bootstrap
nodes. It announces through a metadata-less magnet (session.dht_announce is broken in this
binding), so the announced port is its own listen port; the PORT argument is ignored.
  /usr/bin/python3 lt_peer.py [--bootstrap=IP:PORT]...
"""
import queue
import shutil
import sys
import tempfile
import threading
import time

import libtorrent as lt


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def make_session():
    settings = {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": True,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "dht_bootstrap_nodes": "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_block_ratelimit": 100000,
        "dht_upload_rate_limit": 1000000,
        "dht_enforce_node_id": False,
        "alert_mask": lt.alert_category.all,
    }
    return lt.session(settings)


def main():
    bootstrap = [a[len("--bootstrap="):] for a in sys.argv[1:] if a.startswith("--bootstrap=")]
    ses = make_session()
    # libtorrent runs a DHT node per listen socket and, until the UDP socket is open, drops
    # add_dht_node and dht_get_peers silently: wait for it (seconds on a loaded machine).
    deadline = time.time() + 60
    udp_up = False
    while not udp_up and time.time() < deadline:
        for a in ses.pop_alerts():
            if isinstance(a, lt.listen_succeeded_alert) and "[uTP]" in a.message():
                udp_up = True
        time.sleep(0.02)
    if not udp_up:
        say("error libtorrent opened no UDP socket within 60 s")
        return 1
    for b in bootstrap:
        host, port = b.rsplit(":", 1)
        ses.add_dht_node((host, int(port)))
    say("listening 127.0.0.1:%d" % ses.listen_port())
    save_dir = tempfile.mkdtemp(prefix="em-lt-")
    commands = queue.Queue()

    def read_stdin():
        for line in sys.stdin:
            commands.put(line.strip())
        commands.put("quit")

    threading.Thread(target=read_stdin, daemon=True).start()
    found = {}
    stored = 0
    while True:
        for a in ses.pop_alerts():
            if isinstance(a, lt.dht_get_peers_reply_alert):
                ih = str(a.info_hash)
                seen = found.setdefault(ih, set())
                for host, port in a.peers():
                    key = "%s:%d" % (host, port)
                    if key not in seen:
                        seen.add(key)
                        say("peer %s %s" % (ih, key))
                say("lookup_done %s peers=%d responders=0" % (ih, len(seen)))
            elif isinstance(a, lt.dht_announce_alert):
                stored += 1
        try:
            line = commands.get(timeout=0.05)
        except queue.Empty:
            continue
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        if parts[0] == "announce":
            params = lt.add_torrent_params()
            params.info_hashes = lt.info_hash_t(lt.sha1_hash(bytes.fromhex(parts[1])))
            params.save_path = save_dir
            ses.add_torrent(params)
            say("ok")
        elif parts[0] == "lookup":
            ses.dht_get_peers(lt.sha1_hash(bytes.fromhex(parts[1])))
            say("ok")
        elif parts[0] == "stats":
            ses.post_dht_stats()
            say("stats announces_stored=%d" % stored)
        else:
            say("error unknown command %s" % parts[0])
    shutil.rmtree(save_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
