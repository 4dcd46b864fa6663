"""A Maildir is taken in in delivery order, whatever the file names sort to as text."""

from __future__ import annotations

import mailbox
from pathlib import Path

from workflow.adapters.mailin import MaildirSource, delivery_order


def test_microseconds_are_compared_as_numbers() -> None:
    # Delivered in this order, in one second: as text, "M100000" sorts before "M98765".
    names = ["1700000000.M98765P7Q1.host", "1700000000.M100000P7Q2.host", "1700000001.M5P7Q3.host"]
    assert sorted(names) != names
    assert sorted(reversed(names), key=delivery_order) == names


def test_names_of_other_agents_come_after_and_keep_their_text_order() -> None:
    names = ["1700000000.12345_1.host", "1700000000.M1P1.host", "b-name", "a-name"]
    assert sorted(names, key=delivery_order) == [
        "1700000000.12345_1.host",
        "1700000000.M1P1.host",
        "a-name",
        "b-name",
    ]


def test_the_source_lists_a_real_maildir_in_delivery_order(tmp_path: Path) -> None:
    box = mailbox.Maildir(str(tmp_path / "in"), create=True)
    names = ["1700000000.M98765P7Q1.host", "1700000000.M100000P7Q2.host"]
    for i, name in enumerate(names):
        (tmp_path / "in" / "new" / name).write_bytes(f"Message-ID: <m{i}@x>\n\nbody\n".encode())
    box.close()
    listed = list(MaildirSource(tmp_path / "in").headers())
    assert listed == [(names[0], "<m0@x>"), (names[1], "<m1@x>")]
