"""Sandbox latency: each response waits latency ± jitter, repeatably, without holding other connections.

No wall-clock bound is asserted: the tests check the planned delays, the delays the server applied, and
that a client giving up long before the delay got nothing (a loaded machine only answers later).
"""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from statistics import mean

import pytest

from qacrawler.sandbox import DoctorQnaSite, Latency, SandboxServer

ROOT = Path(__file__).resolve().parents[1]
URLS = [f"/en/article/{number}" for number in range(1000, 1500)]


def test_delays_stay_within_latency_plus_or_minus_jitter_and_repeat_per_url_and_attempt():
    latency = Latency(0.05, 0.01, seed=3)
    first = [latency.delay(url, 1) for url in URLS]
    assert all(0.04 <= delay <= 0.06 for delay in first)
    assert min(first) < 0.042 and max(first) > 0.058  # the whole jitter range is used
    assert mean(first) == pytest.approx(0.05, abs=0.002)
    assert first == [Latency(0.05, 0.01, seed=3).delay(url, 1) for url in URLS]
    assert first != [latency.delay(url, 2) for url in URLS]  # a retry draws again
    assert first != [Latency(0.05, 0.01, seed=4).delay(url, 1) for url in URLS]
    assert {Latency(0.05).delay(url, attempt) for url in URLS[:20] for attempt in (1, 2)} == {0.05}


@pytest.mark.parametrize(
    ("seconds", "jitter", "message"),
    [(-0.01, 0.0, "finite number >= 0"), (math.nan, 0.0, "finite number >= 0"), (math.inf, 0.0, "finite number >= 0"),
     (0.05, -0.01, "finite number >= 0"), (0.01, 0.02, "larger than the latency")],
)
def test_an_impossible_latency_is_refused(seconds, jitter, message):
    with pytest.raises(ValueError, match=message):
        Latency(seconds, jitter)


def test_the_server_waits_the_planned_delay_of_each_attempt():
    site = DoctorQnaSite(pages=20, seed=2)
    latency = Latency(0.02, 0.01, seed=5)
    requests = [("GET", "/en/"), ("GET", "/en/"), ("GET", "/robots.txt"), ("HEAD", "/en/"), ("GET", "/en/?page=2")]
    with SandboxServer(site, latency=latency) as server:
        for method, path in requests:
            request = urllib.request.Request(server.base_url + path, method=method)
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
        attempts, waited = Counter(server.network_attempts), server.network_wait_seconds
    assert attempts == Counter({"/en/": 3, "/robots.txt": 1, "/en/?page=2": 1})
    planned = [latency.delay("/en/", attempt) for attempt in (1, 2, 3)]
    planned += [latency.delay("/robots.txt", 1), latency.delay("/en/?page=2", 1)]
    assert waited == pytest.approx(sum(planned))


def test_a_response_is_not_sent_before_its_delay_and_other_connections_are_heard_meanwhile():
    """Five connections each ask while the others wait out a 30 s latency: the server reads every request
    (a server that slept on its one thread would read the second only after 30 s) and answers none yet."""
    site = DoctorQnaSite(pages=20, seed=2)
    with SandboxServer(site, latency=Latency(30.0)) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        connections = [socket.create_connection((host, int(port)), timeout=10) for _ in range(5)]
        try:
            for connection in connections:
                connection.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            for _ in range(200):  # up to 20 s for the server's threads to read them, on a loaded machine
                if server.network_attempts["/robots.txt"] == len(connections):
                    break
                time.sleep(0.1)
            assert server.network_attempts["/robots.txt"] == len(connections)
            for connection in connections:
                connection.settimeout(0.1)
                with pytest.raises(TimeoutError):
                    connection.recv(1)
        finally:
            for connection in connections:
                connection.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--latency", "abc"], "expected milliseconds between 0 and 60000"),
     (["--latency", "-5"], "expected milliseconds between 0 and 60000"),
     (["--jitter", "nan"], "expected milliseconds between 0 and 60000"),
     (["--latency", "20", "--jitter", "50"], "--jitter 50 is larger than --latency 20")],
)
def test_a_wrong_latency_option_gets_one_line_and_exit_2(args, message):
    result = subprocess.run([sys.executable, "-m", "qacrawler.cli", "sandbox", *args], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr


def test_the_sandbox_command_serves_with_latency():
    command = [sys.executable, "-m", "qacrawler.cli", "sandbox", "--pages", "20", "--latency", "20", "--jitter", "5"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            base_url = process.stdout.readline().strip()
            with urllib.request.urlopen(base_url + "/robots.txt", timeout=30) as response:
                assert response.status == 200 and b"Sitemap:" in response.read()
        finally:
            process.terminate()
            process.communicate(timeout=30)
