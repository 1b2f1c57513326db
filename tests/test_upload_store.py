"""The app's upload store: private folder and files, the user's file name, clean-up; escaped user text."""

from __future__ import annotations

import gc
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from quota_sim.cells import markdown_text
from quota_sim.errors import InputError
from quota_sim.upload_store import MAX_UPLOAD_BYTES, UploadStore, remove_stale_stores, safe_file_name


@pytest.fixture
def store(tmp_path):
    made = UploadStore(tmp_path)
    yield made
    made.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_uploads_are_private_and_keep_the_users_file_name(store, tmp_path):
    session = store.session()
    path = session.save(b"id,zone\n", "田营 queue (v2).csv")
    assert path.name == "田营 queue (v2).csv" and path.read_bytes() == b"id,zone\n"
    assert store.folder.parent == tmp_path
    assert store.folder.name.startswith(f"quota-sim-uploads-{os.getuid()}-")
    assert _mode(store.folder) == 0o700 and _mode(path.parent) == 0o700 and _mode(path) == 0o600
    assert session.save(b"id,zone\n", "田营 queue (v2).csv") == path  # the same upload again


@pytest.mark.parametrize(
    ("name", "safe"),
    [("../../etc/passwd", "passwd"), ("C:\\Users\\x\\q.xlsx", "q.xlsx"), ("a\nb\r.csv", "a_b_.csv"),
     (".hidden.csv", "hidden.csv"), ("", "projects.csv"), ("x" * 300 + ".csv", "x" * 116 + ".csv")],
)
def test_file_names_are_made_safe(name, safe):
    assert safe_file_name(name) == safe


def test_a_planted_link_is_never_followed(store, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("mine", encoding="utf-8")
    session = store.session()
    path = session.save(b"first", "queue.csv")
    path.unlink()
    path.symlink_to(victim)  # as if someone could write into the private folder
    with pytest.raises(InputError, match="safely"):
        session.save(b"first", "queue.csv")
    assert victim.read_text(encoding="utf-8") == "mine"


def test_a_replaced_upload_and_an_ended_sessions_uploads_are_removed(store):
    session = store.session()
    first = session.save(b"one", "a.csv")
    second = session.save(b"two", "b.csv", replaces=first)
    assert not first.exists() and second.exists()
    other = store.session()
    shared = other.save(b"two", "b.csv")
    assert shared == second
    del session
    gc.collect()
    assert second.exists()  # the other session still uses it
    del other
    gc.collect()
    assert not second.exists() and list(store.folder.iterdir()) == []


def test_the_size_is_bounded_before_anything_is_written(store):
    with pytest.raises(InputError, match="too large"):
        store.session().save(b"x" * (MAX_UPLOAD_BYTES + 1), "big.csv")
    assert list(store.folder.iterdir()) == []


def test_stores_of_dead_processes_are_removed_at_start_up(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead = tmp_path / f"quota-sim-uploads-{os.getuid()}-{finished.stdout.strip()}-abc"
    dead.mkdir()
    (dead / "old.csv").write_text("x", encoding="utf-8")
    alive = UploadStore(tmp_path)
    assert remove_stale_stores(tmp_path) == [dead]
    assert not dead.exists() and alive.folder.exists()
    alive.close()
    assert not alive.folder.exists()


@pytest.mark.parametrize(
    "text",
    ["**bold** _it_", "[link](http://evil.example)", "<img src=x onerror=alert(1)>", "`code`", "# title",
     ":red[alarm] :material/home:", "$x^2$", "| a | b |", "- item\n1. item", "a\rb"],
)
def test_user_text_is_shown_literally(text):
    escaped, shown, index = markdown_text(text), [], 0
    while index < len(escaped):
        char = escaped[index]
        if char == "\\":
            shown.append(escaped[index + 1])
            index += 2
            continue
        assert char not in "`*_{}[]()#+-.!|<>~$:", (text, escaped)
        shown.append(char)
        index += 1
    assert "".join(shown) == text.replace("\r", "\n")
