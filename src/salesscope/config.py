"""``$SALESSCOPE_HOME/config.toml``: what salesscope is connected to and how (never secrets).

One TOML table per concern (``[kommo]`` for the connector); secrets live apart in
``salesscope.secrets`` so that this file can be shown, copied and versioned freely. Values are
scalars (text, numbers, booleans): that is all the settings need, and it keeps the writer small.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from salesscope import paths

CONFIG_FILE = "config.toml"

Scalar = str | int | float | bool


class ConfigError(ValueError):
    """config.toml cannot be read or holds a value of the wrong kind; the message names both."""


def config_path(home: Path | None = None) -> Path:
    return (home or paths.home()) / CONFIG_FILE


def load(home: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every table of config.toml ({} when the file does not exist yet)."""
    path = config_path(home)
    if not path.exists():
        return {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix or delete the file") from None
    return {name: dict(value) for name, value in doc.items() if isinstance(value, dict)}


def section(name: str, home: Path | None = None) -> dict[str, Any]:
    """One table of config.toml ({} when absent)."""
    return load(home).get(name, {})


def save_section(name: str, values: Mapping[str, Scalar | None], home: Path | None = None) -> Path:
    """Replace one table of config.toml, keeping the others; ``None`` values are left out."""
    doc = load(home)
    doc[name] = {k: v for k, v in values.items() if v is not None}
    path = config_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(dumps(doc), encoding="utf-8")
    os.replace(tmp, path)
    return path


def dumps(doc: Mapping[str, Mapping[str, Any]]) -> str:
    """TOML text for tables of scalars (the only shape config.toml has)."""
    out: list[str] = []
    for name, table in doc.items():
        out.append(f"[{_key(name)}]")
        out += [f"{_key(k)} = {_value(k, v)}" for k, v in table.items()]
        out.append("")
    return "\n".join(out)


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else _string(key)


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    raise ConfigError(f"config value {key!r} must be text, a number or true/false, not {value!r}")


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch >= " " and ch != "\x7f" else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'
