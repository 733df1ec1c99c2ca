"""What the dashboard tests share: the web users of every role, logging in, the demo copy, and
a real ``salesscope serve`` process on a free 127.0.0.1 port (fixtures are in ``conftest.py``)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from salesscope.auth.users import UserStore
from salesscope.warehouse.store import Warehouse
from web.inprocess import TestClient

TODAY = dt.date(2026, 6, 15)
PASSWORD = "correct horse battery"
SCRIPT = Path(sys.executable).parent / "salesscope"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "web"

# name -> (role, manager, team): one web user per role, and a second manager to trespass on.
USERS: dict[str, tuple[str, str | None, str | None]] = {
    "root": ("admin", None, None),
    "boss": ("head", None, None),
    "olena_tl": ("teamlead", None, "Команда Олени"),
    "serhiy": ("manager", "Serhiy", None),
    "olena": ("manager", "Olena Kovalenko", None),
}


def add_users(store: UserStore) -> None:
    for name, (role, manager, team) in USERS.items():
        store.add(name, role, PASSWORD, manager, team)


def copy_demo(demo_file: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "salesscope.duckdb"
    shutil.copyfile(demo_file, target)
    return target


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token in the page"
    return found.group(1)


def login(client: httpx.Client | TestClient, name: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login")
    return client.post("/login", data={"username": name, "password": password,
                                       "csrf_token": csrf_of(page.text), "next": "/"},
                       follow_redirects=False)


@dataclass
class WebApp:
    """An in-process app on a demo copy, with one logged-in client per user."""

    warehouse: Warehouse
    users: UserStore
    app: object
    clients: dict[str, TestClient]

    def anonymous(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESSCOPE_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("SALESSCOPE_DB", None)
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=300,
                          env=env, input=stdin, check=False)


@dataclass
class Server:
    """A real ``salesscope serve`` process."""

    process: subprocess.Popen[str]
    url: str
    home: Path

    def client(self, name: str | None = None) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30, follow_redirects=False)
        if name is not None:
            assert login(client, name).status_code == 303
        return client

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


def wait_until_up(url: str, process: subprocess.Popen[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"server exited with {process.returncode}: {stderr}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server at {url} did not answer within {timeout_s} s")


def start_server(home: Path, *args: str) -> Server:
    port = free_port()
    env = {**os.environ, "SALESSCOPE_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("SALESSCOPE_DB", None)
    process = subprocess.Popen([str(SCRIPT), "serve", "--port", str(port), *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, process)
    return Server(process, url, home)
