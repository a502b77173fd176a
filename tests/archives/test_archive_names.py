"""Member names are judged lexically: bad ones are rejected, never rewritten."""

from __future__ import annotations

import pytest

from tools.archives import UnsafeArchiveError
from tools.archives.names import member_parts


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("a/b.txt", ("a", "b.txt")),
        ("./a//b/./c", ("a", "b", "c")),
        ("dir/", ("dir",)),
        ("données/日本語.txt", ("données", "日本語.txt")),
        ("coffee_mug__(30, 40)/mesh.glb", ("coffee_mug__(30, 40)", "mesh.glb")),
        ("..foo/bar..", ("..foo", "bar..")),
    ],
)
def test_good_names_split_into_components(name, parts):
    """Plain names split into components; `.` and repeated slashes are dropped."""
    assert member_parts(name, is_dir=False, max_name_bytes=1024) == parts


def test_root_directory_entry_is_empty():
    """`./` as a directory is the extraction root; as a file it is an empty name."""
    assert member_parts("./", is_dir=True, max_name_bytes=1024) == ()
    with pytest.raises(UnsafeArchiveError, match="empty name"):
        member_parts("./", is_dir=False, max_name_bytes=1024)


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "empty name"),
        ("/etc/passwd", "absolute path"),
        ("//server/share", "absolute path"),
        ("../x", "'..' component"),
        ("a/../../x", "'..' component"),
        ("a/..", "'..' component"),
        ("a\\..\\x", "backslash"),
        ("C:x", "drive prefix"),
        ("c:/x", "drive prefix"),
        ("a\x00b", "NUL byte"),
        ("a\tb", "control character"),
        ("a\x7fb", "control character"),
        ("x" * 1025, "longer than 1024 bytes"),
        ("é" * 513, "longer than 1024 bytes"),
        ("d/" + "x" * 256, "longer than 255 bytes"),
        ("bad\udcff", "not valid UTF-8"),
    ],
)
def test_bad_names_are_rejected(name, rule):
    """Each lexical rule rejects its names, and the error names member and rule."""
    with pytest.raises(UnsafeArchiveError) as caught:
        member_parts(name, is_dir=False, max_name_bytes=1024)
    assert caught.value.rule.startswith(rule) or rule in caught.value.rule
    assert caught.value.member == name
    assert isinstance(caught.value, ValueError)


def test_error_message_shortens_huge_names():
    """A huge member name is shortened in the message but kept whole on the error."""
    name = "../" + "x" * 5000
    with pytest.raises(UnsafeArchiveError) as caught:
        member_parts(name, is_dir=False, max_name_bytes=10_000)
    assert len(str(caught.value)) < 400 and caught.value.member == name
