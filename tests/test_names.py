"""`sim.names`: the close match of a mistyped name, shared by validation and the commands."""

from __future__ import annotations

from sim.names import close_match, did_you_mean
from sim.scenario.references import unknown_name

ACTORS = ["Kazakhstan", "Russia", "China", "United States"]


def test_a_typo_finds_its_name_and_a_stranger_finds_none():
    assert close_match("Kazakstan", ACTORS) == "Kazakhstan"
    assert close_match("Chna", ACTORS) == "China"
    assert close_match("Atlantis", ACTORS) is None
    assert did_you_mean("Atlantis", ACTORS) == ""
    assert did_you_mean("Russa", ACTORS) == " (did you mean 'Russia'?)"


def test_a_prefix_of_three_characters_or_more_matches():
    assert close_match("Unit", ACTORS) == "United States"
    assert close_match("Un", ACTORS) is None  # too short to be a prefix match


def test_validation_messages_use_the_same_match():
    message = unknown_name("actor", "Kazakstan", ACTORS)
    assert message.startswith("unknown actor 'Kazakstan' (did you mean 'Kazakhstan'?); known actors: ")
