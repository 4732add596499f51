"""Tiny HTML helpers: every piece of user or data text goes through ``esc``."""

from __future__ import annotations

import html
import json
import re
from typing import Any

_ID_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def esc(s: Any) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def tag(name: str, content: str = "", **attrs: Any) -> str:
    """``<name attrs>content</name>``; ``content`` must already be HTML (escaped)."""
    parts = [name]
    for k, v in attrs.items():
        if v is None or v is False:
            continue
        key = k.rstrip("_").replace("_", "-")
        parts.append(key if v is True else f'{key}="{esc(v)}"')
    return f"<{' '.join(parts)}>{content}</{name}>"


def safe_id(s: str) -> str:
    return _ID_SAFE.sub("-", s).strip("-") or "x"


def script_json(obj: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``</script>``, no HTML comment openers."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
