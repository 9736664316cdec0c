"""Offline campaign of docs/robustness.md "Paths and names": the strategies of
tests/test_path_policy.py drawn at random: N uploads, N/5 CLI paths, N form names.

    PYTHONPATH=.:tests python tests/path_campaign.py 1000
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import warnings
from pathlib import Path

import test_path_policy as T
from hypothesis import strategies as st
from robustness_helpers import cli
from scenario_factory import write_small_scenario

from sim.errors import ScenarioError
from sim.ui import editor, workflow


def make_tree(root: Path) -> dict[str, Path]:
    """The layout of test_path_policy's `tree` fixture, with its links."""
    scen, out = root / "scen", root / "outside"
    small = write_small_scenario(scen)
    out.mkdir()
    (out / "shadow").write_text(T.SHADOW, encoding="utf-8")
    (out / "secret.yaml").write_text(T.SECRET_KEYS, encoding="utf-8")
    (out / "secret.csv").write_text(T.SHADOW, encoding="utf-8")
    write_small_scenario(out, filename="valid.yaml")
    (out / "victim.yaml").write_text("original: true\n", encoding="utf-8")
    t = {"root": root, "scen": scen, "small": small, "out": out}
    t |= {"save": root / "save", "results": root / "results"}
    T._links(t)
    return t


def main(n: int) -> str:
    warnings.simplefilter("ignore")  # hypothesis: .example() outside a test
    t = make_tree(Path(tempfile.mkdtemp()))
    before = T._snapshot(t["out"])
    uploads = [0, 0]  # [loaded inside, refused]
    for _ in range(n):
        uploads[T._upload_case(t, random.choice(T.FIELDS), T._PATHS.example())] += 1
    paths = [0, 0]
    for _ in range(n // 5):
        written = T._absolutise(T._PATHS.example(), t)
        data = T.small_scenario_dict()
        data["trade"]["baseline_file"] = written
        code, _, err = cli(["validate", str(T.write_yaml(t["scen"] / "p.yaml", data))])
        link = (t["scen"] / written).resolve() != Path(os.path.normpath(t["scen"].resolve() / written))
        if code == 0:
            assert not link, written
        else:
            assert code == 2 and "Traceback" not in err, err
            if link:
                T._no_foreign_content(err)
        paths[code != 0] += 1
    src = T._source(t)
    base = workflow.edit(src, editor.Edits())
    names = [0, 0]
    for _ in range(n):
        name = st.one_of(T._PATHS, st.text(max_size=30)).example()
        try:
            saved = workflow.save(src, base, name if name.endswith(".yaml") else name + ".yaml", t["save"])
        except ScenarioError:
            names[1] += 1
        else:
            assert saved.resolve().parent == t["save"].resolve()
            saved.unlink()
            names[0] += 1
        names[workflow.edit(src, editor.Edits(), name).error is not None] += 1
    assert T._snapshot(t["out"]) == before
    return (
        f"uploads {sum(uploads)} tried, {uploads[1]} refused; CLI paths {sum(paths)} tried, "
        f"{paths[1]} refused; form names {sum(names)} tried, {names[1]} refused; outside unchanged"
    )


if __name__ == "__main__":
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
