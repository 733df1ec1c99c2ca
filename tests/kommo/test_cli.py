"""``connect kommo``, ``sync``, ``status``: settings and secrets kept apart, secrets never shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kommo.conftest import TOKEN
from kommo.fake_server import FakeKommo
from salesscope.cli.app import app
from salesscope.warehouse.store import Warehouse

SALESSCOPE = str(Path(sys.executable).parent / "salesscope")
runner = CliRunner()
OAUTH = ("integration-7", "client-secret-QWERTY-123", "https://crm.example/cb")


def invoke(home: Path, *args: str, **env: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"SALESSCOPE_HOME": str(home), **env})
    return result.exit_code, result.stdout, result.stderr


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"SALESSCOPE_HOME": str(home), "SALESSCOPE_DB": ""}
    env.pop("KOMMO_TOKEN", None)
    return subprocess.run([SALESSCOPE, *args], env=env, text=True, capture_output=True, timeout=120)


def test_connect_keeps_settings_and_token_apart(fake: FakeKommo, tmp_path: Path) -> None:
    code, out, _ = invoke(tmp_path, "connect", "kommo", "--base-url", fake.url, KOMMO_TOKEN=TOKEN)
    assert code == 0 and "'Київ Продажі' (currency UAH, timezone Europe/Kyiv)" in out
    config = (tmp_path / "config.toml").read_text()
    assert f'base_url = "{fake.url}"' in config and 'auth = "token"' in config and TOKEN not in config
    secrets = tmp_path / "secrets.json"
    assert secrets.stat().st_mode & 0o777 == 0o600
    assert json.loads(secrets.read_text())["kommo"]["token"] == TOKEN
    assert [e.path for e in fake.log] == ["/api/v4/account"]  # one call checks the token


def test_a_token_is_never_a_command_line_argument(tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path, "connect", "kommo", "--subdomain", "acme", "--token", TOKEN)
    assert code == 2 and "No such option" in err


@pytest.mark.parametrize(("args", "message"), [
    ((), "give either --subdomain NAME or --base-url URL"),
    (("--subdomain", "acme", "--base-url", "https://x.kommo.com"), "give either --subdomain NAME or --base-url URL"),
    (("--subdomain", "acme", "--domain", "amocrm.de"),
     "unknown --domain 'amocrm.de'; valid: kommo.com, amocrm.ru, amocrm.com"),
    (("--subdomain", "acme corp"), "malformed --subdomain 'acme corp'"),
    (("--subdomain", "acme", "--rate-limit", "8"), "rate limit 8 is not allowed"),
    (("--base-url", "ftp://x"), "malformed --base-url 'ftp://x'"),
])
def test_bad_connect_options_are_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = invoke(tmp_path, "connect", "kommo", *args, KOMMO_TOKEN=TOKEN)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_wrong_token_is_refused_and_nothing_is_saved(fake: FakeKommo, tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path, "connect", "kommo", "--base-url", fake.url, KOMMO_TOKEN="not-the-token-987654")
    assert code == 1 and "expired or was revoked" in err and "not-the-token-987654" not in err
    assert not (tmp_path / "config.toml").exists() and not (tmp_path / "secrets.json").exists()


def test_sync_before_connect_says_what_to_do(tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path, "sync", "--db", str(tmp_path / "w.duckdb"))
    assert code == 2 and "run `salesscope connect kommo --subdomain NAME` first" in err


def test_no_secret_in_any_output_log_or_file_of_a_verbose_sync(fake: FakeKommo, tmp_path: Path) -> None:
    assert invoke(tmp_path, "connect", "kommo", "--base-url", fake.url, "--rate-limit", "500",
                  KOMMO_TOKEN=TOKEN)[0] == 0
    db = tmp_path / "w.duckdb"
    done = cli(tmp_path, "sync", "--verbose", "--db", str(db))
    assert done.returncode == 0, done.stderr
    everything = done.stdout + done.stderr
    assert "DEBUG salesscope.kommo: Kommo GET /api/v4/leads -> 200" in everything  # verbose indeed
    assert TOKEN not in everything and "Bearer" not in everything
    assert TOKEN.encode() not in db.read_bytes()
    assert TOKEN not in (tmp_path / "config.toml").read_text()
    status = cli(tmp_path, "status", "--db", str(db))
    assert status.returncode == 0 and TOKEN not in status.stdout + status.stderr
    assert "Last incremental sync started" in status.stdout and "deal_stage_changes" in status.stdout
    _, out, _ = invoke(tmp_path, "status", "--format", "json", "--db", str(db))
    doc = json.loads(out)
    with Warehouse.open(db, read_only=True) as wh:
        assert doc["tables"] == wh.counts()
    assert doc["last_sync"]["finished"] and not doc["last_sync"]["full"]
    assert set(doc["cursors"]) == {"reference", "leads", "contacts", "tasks", "calls", "events"}
    assert doc["cursors"]["events"].endswith("Z") and doc["age_s"] >= 0


def test_a_revoked_token_fails_the_sync_without_showing_it(fake: FakeKommo, tmp_path: Path) -> None:
    assert invoke(tmp_path, "connect", "kommo", "--base-url", fake.url, KOMMO_TOKEN=TOKEN)[0] == 0
    revoked = "revoked-token-ABCDEFGH"
    (tmp_path / "secrets.json").write_text(json.dumps({"kommo": {"token": revoked}}))
    os.chmod(tmp_path / "secrets.json", 0o600)
    done = cli(tmp_path, "sync", "--verbose", "--db", str(tmp_path / "w.duckdb"))
    assert done.returncode == 1
    assert "Kommo rejected the token (Unauthorized: Invalid user name or password): it expired or was revoked; " \
           "run `salesscope connect kommo` again" in done.stderr
    assert revoked not in done.stdout + done.stderr


def test_a_secrets_file_others_can_read_is_refused(fake: FakeKommo, tmp_path: Path) -> None:
    assert invoke(tmp_path, "connect", "kommo", "--base-url", fake.url, KOMMO_TOKEN=TOKEN)[0] == 0
    os.chmod(tmp_path / "secrets.json", 0o644)
    code, _, err = invoke(tmp_path, "sync", "--db", str(tmp_path / "w.duckdb"))
    assert code == 1 and "readable by other users (mode 0644); run `chmod 600" in err


def test_oauth_connect_and_sync_rotate_tokens_without_showing_any(start_fake: Callable[..., FakeKommo],
                                                                  tmp_path: Path) -> None:
    fake = start_fake(token=None, clients={OAUTH[0]: (OAUTH[1], OAUTH[2])}, access_ttl_s=3600)
    code_value = fake.new_code(OAUTH[0])
    code, out, err = invoke(tmp_path, "connect", "kommo", "--base-url", fake.url, "--oauth", "--client-id", OAUTH[0],
                            "--redirect-uri", OAUTH[2], "--rate-limit", "500",
                            KOMMO_CLIENT_SECRET=OAUTH[1], KOMMO_AUTH_CODE=code_value)
    assert code == 0, err
    first = json.loads((tmp_path / "secrets.json").read_text())["kommo"]
    fake.access[first["access_token"]].expires_at = 0  # a day later
    done = cli(tmp_path, "sync", "--verbose", "--db", str(tmp_path / "w.duckdb"))
    assert done.returncode == 0, done.stderr
    second = json.loads((tmp_path / "secrets.json").read_text())["kommo"]
    assert second["refresh_token"] != first["refresh_token"] and first["refresh_token"] in fake.revoked
    shown = out + err + done.stdout + done.stderr + (tmp_path / "config.toml").read_text()
    for secret in (OAUTH[1], code_value, first["access_token"], first["refresh_token"],
                   second["access_token"], second["refresh_token"]):
        assert secret not in shown


def test_status_of_a_warehouse_never_synced_and_bad_format(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    Warehouse.open(db).close()
    code, out, _ = invoke(tmp_path, "status", "--format", "json", "--db", str(db))
    doc = json.loads(out)
    assert code == 0 and doc["last_sync"] is None and doc["tables"]["deals"] == 0 and doc["age_s"] is None
    code, _, err = invoke(tmp_path, "status", "--format", "yaml", "--db", str(db))
    assert code == 2 and "unknown format 'yaml'; valid: table, json" in err
