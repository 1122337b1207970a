#!/usr/bin/python3
"""Benchmark (docs/security.md), not a test: /healthz latency of a real `skinscan serve` while
N slow clients (slowloris) each trickle one body byte every 3 s, reconnecting whenever the
server drops them.

Usage: bench/slow_clients.py [BUILD_DIR] [--clients 16] [--seconds 30]
Prints p50/p99/max latency of /healthz (one request every 100 ms, new connection each) and
how many slow connections the server closed.
"""
import argparse, os, re, signal, socket, subprocess, sys, tempfile, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("build", nargs="?", default="build")
ap.add_argument("--clients", type=int, default=16)
ap.add_argument("--seconds", type=float, default=30)
a = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
tmp = tempfile.mkdtemp(prefix="skinscan-slow-")
proc = subprocess.Popen([os.path.join(a.build, "skinscan"), "serve", "--port", "0", "--db",
                         os.path.join(tmp, "db.sqlite"), "--data-dir", os.path.join(tmp, "data")],
                        stdout=subprocess.PIPE, text=True, cwd=root)
line = proc.stdout.readline()
port = int(re.search(r":(\d+)", line).group(1))
stop = threading.Event()
dropped = [0]

def slow():
    while not stop.is_set():
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /api/v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                  b"multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n")
        try:
            while not stop.is_set():
                s.sendall(b"a")
                time.sleep(3)
        except OSError:
            dropped[0] += 1
        s.close()

threads = [threading.Thread(target=slow, daemon=True) for _ in range(a.clients)]
for t in threads:
    t.start()
time.sleep(1)
lat = []
end = time.time() + a.seconds
while time.time() < end:
    t0 = time.perf_counter()
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = c.recv(4096)
        if not b:
            break
        data += b
    c.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:80]
    lat.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.1)
stop.set()
proc.send_signal(signal.SIGTERM)
proc.wait(timeout=30)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"{a.clients} slow clients, {a.seconds:.0f} s: /healthz n={len(lat)} p50={q(0.5):.2f} ms "
      f"p99={q(0.99):.2f} ms max={lat[-1]:.2f} ms; slow connections closed by the server: {dropped[0]}")
