"""The one rule for free text typed by users: no control characters, no bidi controls.

C0/C1 control characters (except tab, line feed and carriage return) break Excel exports,
terminals and logs; the Unicode bidi overrides, embeddings and isolates (and the invisible
direction marks) make text display in another order than it is stored ("Trojan Source"), so
a reviewer could read a different position or reason than the one recorded. Such input is
refused with a message naming the field, never silently altered.
"""
from __future__ import annotations

import re

FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 (minus \t \n \r), DEL, C1
    "\u061c\u200e\u200f"  # Arabic letter mark, left-to-right and right-to-left marks
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2066-\u2069]"  # bidi isolates
)
MESSAGE = "不能包含控制字符或文字方向控制符"


def text_problem(value: str) -> str | None:
    """Why ``value`` is refused as user text, or None when it is acceptable."""
    return MESSAGE if FORBIDDEN.search(value) else None


def printable(value: str) -> str:
    """``value`` without the forbidden characters: for showing stored data that predates the
    rule (exports, logs), never for accepting input."""
    return FORBIDDEN.sub("", value)
