"""The one typed check model (tools.steps.Check) keeps the validation report's JSON shape."""

import json

from tools.steps import Check


def test_a_check_serialises_to_the_report_shape_and_back():
    """as_dict gives name/ok/detail/figures/problems; JSON and from_dict round-trip it."""
    check = Check("physics_parse", False, "1 body missing", {"bodies": 3}, ("mug_1: no mass",))
    data = json.loads(json.dumps(check.as_dict()))
    assert data == {
        "name": "physics_parse",
        "ok": False,
        "detail": "1 body missing",
        "figures": {"bodies": 3},
        "problems": ["mug_1: no mass"],
    }
    assert Check.from_dict(data) == check


def test_a_minimal_check_defaults_to_no_figures_and_no_problems():
    """Older dicts with only name/ok/detail read back with empty figures and problems."""
    check = Check.from_dict({"name": "meshes", "ok": 1, "detail": "all present"})
    assert check == Check("meshes", True, "all present")
    assert check.as_dict()["problems"] == ()
