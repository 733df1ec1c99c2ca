"""The rate limit is one bucket per account on the machine: two processes (say ``serve``'s scheduled
sync and a ``salesscope sync``) together stay under Kommo's 7 requests/s."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from kommo.conftest import TOKEN
from kommo.fake_server import FakeKommo
from salesscope.connectors.kommo.ratelimit import FileRateLimiter, limiter_path

REQUESTS = 14
"""Per process: 28 requests in all, about 4.2 s at 6.5/s together (2.2 s if each had its own)."""
START_IN_S = 5.0
"""Both processes start sending at the same moment, this long after launch (imports take a while)."""

CLIENT = textwrap.dedent("""
    import sys, time
    from salesscope.connectors.kommo.auth import LongLivedToken
    from salesscope.connectors.kommo.client import ClientOptions, KommoClient
    url, token, start, count = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    # No limiter passed: the client takes the account's shared one, as sync and serve do.
    with KommoClient(url, LongLivedToken(token), ClientOptions(rate=6.5, max_rate_limited=50)) as client:
        time.sleep(max(0.0, start - time.time()))  # both processes begin together
        for _ in range(count):
            client.get("/api/v4/account")
""")


def _busiest_second(stamps: list[float]) -> int:
    """The most requests that arrived within any one second."""
    stamps = sorted(stamps)
    return max(sum(1 for t in stamps[i:] if t < start + 1.0) for i, start in enumerate(stamps))


def _run_two(fake: FakeKommo, home: Path) -> float:
    start = time.time() + START_IN_S
    env = {"SALESSCOPE_HOME": str(home), "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", CLIENT, fake.url, TOKEN, str(start), str(REQUESTS)], env=env)
             for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    return time.time() - start


def test_two_processes_share_one_bucket(start_fake: Callable[..., FakeKommo], home: Path) -> None:
    fake = start_fake(rate_limit=7, retry_after=1)
    _run_two(fake, home)
    answered = [e for e in fake.log if e.path == "/api/v4/account"]
    assert [e.status for e in answered] == [200] * (2 * REQUESTS)  # not one 429
    assert _busiest_second([e.at for e in answered]) <= 7
    # 28 requests at 6.5/s from one bucket take at least 27 / 6.5 = 4.15 s from first to last.
    span = max(e.at for e in answered) - min(e.at for e in answered)
    assert span >= (2 * REQUESTS - 1) / 6.5 - 0.1
    assert limiter_path("http://x").parent == home / "ratelimit"


def test_each_process_alone_would_exceed_the_limit(start_fake: Callable[..., FakeKommo], home: Path,
                                                   tmp_path: Path) -> None:
    """The control: with a bucket each (two homes), the same run trips Kommo's limit."""
    fake = start_fake(rate_limit=7, retry_after=1)
    start = time.time() + START_IN_S
    procs = []
    for n in range(2):
        own = tmp_path / f"home{n}"
        own.mkdir()
        env = {"SALESSCOPE_HOME": str(own), "PATH": "/usr/bin:/bin"}
        procs.append(subprocess.Popen(
            [sys.executable, "-c", CLIENT, fake.url, TOKEN, str(start), str(REQUESTS)], env=env))
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    assert 429 in fake.statuses()


def test_a_pause_holds_back_every_process(tmp_path: Path) -> None:
    """A 429's retry_after written by one process delays the next slot of another."""
    first = FileRateLimiter(tmp_path / "bucket.next", rate=1000.0)
    second = FileRateLimiter(tmp_path / "bucket.next", rate=1000.0, sleep=lambda s: None)
    first.pause(0.5)
    waited = second.acquire()
    assert 0.4 < waited <= 0.5
    first.close()
    second.close()
