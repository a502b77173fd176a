"""`ClosesOnExit`: leaving a `with` block closes the object, also when the block raised."""

import pytest

from tools.closing import ClosesOnExit


class _Resource(ClosesOnExit):
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_the_block_closes_and_its_error_propagates():
    resource = _Resource()
    with resource as entered:
        assert entered is resource and resource.closed == 0
    assert resource.closed == 1
    with pytest.raises(RuntimeError, match="inside"), resource:
        raise RuntimeError("inside")
    assert resource.closed == 2


def test_a_subclass_must_say_how_it_closes():
    class _NoClose(ClosesOnExit):
        pass

    with pytest.raises(TypeError, match="close"):
        _NoClose()  # type: ignore[abstract]
