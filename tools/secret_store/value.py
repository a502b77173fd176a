"""SecretValue: a secret string that never shows itself when printed, logged or serialized."""

from __future__ import annotations

from typing import Any, NoReturn

MASK = "**********"


class SecretValue:
    """Holds one secret; only `reveal()` returns it.

    `str`, `repr`, f-strings and `%` formatting show a mask, pickling and copying by value
    are refused, and json cannot encode it (TypeError without the value).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself; pass it straight to the API that needs it.

        Returns:
            The secret string.
        """
        return self._value

    def __repr__(self) -> str:
        return f"SecretValue({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("SecretValue cannot be pickled; send .reveal() only where it is needed")

    def __copy__(self) -> SecretValue:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SecretValue:
        return self
