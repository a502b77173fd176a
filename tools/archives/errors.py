"""Errors raised while extracting an untrusted archive.

InputError (tools.errors) + ValueError
└── UnsafeArchiveError    a member or the archive breaks the extraction policy
"""

from __future__ import annotations

from tools.errors import InputError

ARCHIVE = "<archive>"
"""Stands in for the member name when the archive as a whole is at fault."""

_MAX_SHOWN_NAME = 200


class UnsafeArchiveError(InputError, ValueError):
    """An archive member (or the archive itself) breaks a rule; nothing was extracted.

    Attributes:
        member: the member name as stored in the archive (`<archive>` for the whole archive).
        rule: the rule that was broken, in words.
    """

    def __init__(self, member: str, rule: str) -> None:
        shown = member if len(member) <= _MAX_SHOWN_NAME else member[:_MAX_SHOWN_NAME] + "..."
        super().__init__(f"archive member {shown!r}", rule)
        self.member = member
        self.rule = rule
