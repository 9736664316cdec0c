"""The workbench and file references keep to their folders (issue 22).

Each case an attacker with a crafted file or a typed name tried ends in a clean refusal:
exit 2 on the CLI, a ScenarioError (the visible message) in the workbench; nothing is written
or overwritten outside the folders, and no message quotes a file the user's own file did not
name directly. The property tests draw names and paths from the pieces such attacks use.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness_helpers import assert_clean_error, cli
from scenario_factory import small_scenario_dict, write_small_scenario, write_yaml

from sim import pathpolicy
from sim.errors import ScenarioError
from sim.ui import editor, workflow

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"
SHADOW = "root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
SECRET_KEYS = "secret_line_one: 1\nsecret_line_two: 2\n"  # a YAML file of someone else's keys
MARKERS = ("root:", "$6$", "secret_line", "daemon")


def _no_foreign_content(text: str) -> None:
    for m in MARKERS:
        assert m not in text, f"{m!r} echoed in:\n{text}"


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """scen/ (the small scenario, its trade CSV), save/, results/, and outside/ with a
    shadow-format file, a YAML file of foreign keys and a valid trade CSV and scenario."""
    scen = tmp_path / "scen"
    small = write_small_scenario(scen)
    out = tmp_path / "outside"
    out.mkdir()
    (out / "shadow").write_text(SHADOW, encoding="utf-8")
    (out / "secret.yaml").write_text(SECRET_KEYS, encoding="utf-8")
    (out / "secret.csv").write_text(SHADOW, encoding="utf-8")
    write_small_scenario(out, filename="valid.yaml")  # valid files outside: a read would succeed
    (out / "victim.yaml").write_text("original: true\n", encoding="utf-8")
    return {
        "root": tmp_path,
        "scen": scen,
        "small": small,
        "out": out,
        "save": tmp_path / "save",
        "results": tmp_path / "results",
    }


def _cfg(t: dict[str, Path]) -> workflow.Config:
    return workflow.Config(t["scen"], t["save"], t["results"], data_dirs=())


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


# ============================================================================ the policy
def test_link_to_a_file_in_the_same_folder_is_followed(tmp_path: Path) -> None:
    (tmp_path / "trade_2024.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "current.csv").symlink_to("trade_2024.csv")
    got = pathpolicy.check_read(tmp_path, "current.csv", (".csv",), "a CSV", "s.yaml", "f")
    assert got == tmp_path / "current.csv"


@pytest.mark.parametrize("how", ["file_link", "dir_link", "chain"])
def test_links_into_another_folder_are_refused_unless_allowed(
    tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "t.csv").write_text("x\n", encoding="utf-8")
    here = tmp_path / "here"
    here.mkdir()
    if how == "file_link":
        (here / "t.csv").symlink_to(other / "t.csv")
        written = "t.csv"
    elif how == "dir_link":
        (here / "d").symlink_to(other)
        written = "d/t.csv"
    else:  # a same-folder link to a link out
        (here / "b.csv").symlink_to(other / "t.csv")
        (here / "t.csv").symlink_to("b.csv")
        written = "t.csv"
    with pytest.raises(ScenarioError, match="symbolic link into another folder") as err:
        pathpolicy.check_read(here, written, (".csv",), "a CSV", "s.yaml", "trade.baseline_file")
    assert str(err.value).startswith(f"s.yaml: trade.baseline_file: {here / written}: ")
    assert pathpolicy.FOLLOW_LINKS_ENV in str(err.value)  # the documented way to allow it
    monkeypatch.setenv(pathpolicy.FOLLOW_LINKS_ENV, "1")
    assert pathpolicy.check_read(here, written, (".csv",), "a CSV", "s.yaml", "f") == here / written


def test_target_extension_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "passwd").write_text(SHADOW, encoding="utf-8")
    (tmp_path / "p.yaml").symlink_to("passwd")  # same folder, but the target is no YAML file
    with pytest.raises(ScenarioError, match=r"a symbolic link to a file that does not end in \.yaml"):
        pathpolicy.check_read(tmp_path, "p.yaml", (".yaml", ".yml"), "a YAML file", "s.yaml", "extends")
    monkeypatch.setenv(pathpolicy.FOLLOW_LINKS_ENV, "1")  # allowing links does not change that
    with pytest.raises(ScenarioError, match="does not end in"):
        pathpolicy.check_read(tmp_path, "p.yaml", (".yaml", ".yml"), "a YAML file", "s.yaml", "extends")


def test_confinement_and_must_exist(tmp_path: Path) -> None:
    inner = tmp_path / "in"
    inner.mkdir()
    (tmp_path / "x.yaml").write_text("a: 1\n", encoding="utf-8")
    (inner / "d.yaml").mkdir()
    pol = pathpolicy.Policy((inner.resolve(),))
    for written in ("../x.yaml", str(tmp_path / "x.yaml")):
        with pytest.raises(ScenarioError, match="outside the folders read here"):
            pathpolicy.check_read(inner, written, (".yaml",), "a scenario", None, "", policy=pol)
    with pytest.raises(ScenarioError, match="is a directory"):
        pathpolicy.check_read(
            inner, "d.yaml", (".yaml",), "a scenario", None, "", must_exist=True, policy=pol
        )
    with pytest.raises(ScenarioError, match="file not found"):
        pathpolicy.check_read(
            inner, "no.yaml", (".yaml",), "a scenario", None, "", must_exist=True, policy=pol
        )


def test_write_new_never_overwrites_or_follows_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.yaml"
    victim.write_text("original\n", encoding="utf-8")
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    for target in (victim, tmp_path / "dangling.yaml"):
        with pytest.raises(ScenarioError, match="file exists"):
            pathpolicy.write_new(target, "new\n")
    assert victim.read_text(encoding="utf-8") == "original\n"
    assert not (tmp_path / "elsewhere.yaml").exists()
    with pytest.raises(ScenarioError, match="not a regular file"):
        pathpolicy.write_new(tmp_path / "dangling.yaml", "new\n", overwrite=True)
    pathpolicy.write_new(victim, "chosen\n", overwrite=True)  # the explicit choice
    assert victim.read_text(encoding="utf-8") == "chosen\n"


# ============================================================================ the CLI
@pytest.mark.parametrize(
    ("field", "link", "target"),
    [
        ("trade.baseline_file", "shadow_link.csv", "shadow"),
        ("trade.baseline_file", "secret_link.csv", "secret.csv"),
        ("extends", "secret_link.yaml", "secret.yaml"),
        ("parameters_file", "secret_link.yaml", "secret.yaml"),
        ("paths.file", "shadow_link.csv", "secret.csv"),
    ],
)
def test_cli_refuses_links_out_and_quotes_nothing(
    tree: dict[str, Path], field: str, link: str, target: str
) -> None:
    scen = tree["scen"]
    (scen / link).symlink_to(tree["out"] / target)
    data = small_scenario_dict()
    if field == "trade.baseline_file":
        data["trade"]["baseline_file"] = link
    elif field == "paths.file":
        data["paths"] = {"file": link}
    else:
        data[field] = link
    path = write_yaml(scen / "evil.yaml", data)
    code, _, err = cli(["validate", str(path)])
    assert_clean_error(code, err)
    assert f"{field}: {scen / link}: " in err and "symbolic link" in err, err
    _no_foreign_content(err)


def test_cli_follows_links_out_only_with_the_flag(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    scen = tree["scen"]
    (scen / "their_trade.csv").symlink_to(tree["out"] / "trade_small.csv")
    data = small_scenario_dict()
    data["trade"]["baseline_file"] = "their_trade.csv"
    path = write_yaml(scen / "linked.yaml", data)
    assert cli(["validate", str(path)])[0] == 2
    monkeypatch.setenv(pathpolicy.FOLLOW_LINKS_ENV, "1")
    code, out, err = cli(["validate", str(path)])
    assert code == 0, err
    assert out.startswith("ok: ")


def test_sweep_model_must_be_known_and_is_never_imported(tmp_path: Path) -> None:
    calls = tmp_path / "called"
    for model in ("builtins:print", "os:system", "subprocess:run", "sim.sweep.models:allowed_models"):
        data = {
            "name": "evil",
            "model": model,
            "design": {"type": "full_factorial", "levels": 2},
            "parameters": [{"path": "x", "range": [0.0, 1.0]}],
            "outcomes": {"scalars": ["y"]},
        }
        path = write_yaml(tmp_path / "evil.yaml", data)
        code, out, err = cli(["sweep", str(path), "--out", str(tmp_path / "o"), "--workers", "1"])
        assert_clean_error(code, err)
        assert f"model: {model!r} is not a model this tool runs" in err, err
        assert out == "" and not (tmp_path / "o").exists() and not calls.exists()


def test_sweep_whose_runs_all_failed_exits_1(tmp_path: Path) -> None:
    data = {  # the Ishigami model reads x1, x2, x3: every run fails
        "name": "allfail",
        "model": "sim.sweep.models:ishigami",
        "design": {"type": "full_factorial", "levels": 3},
        "parameters": [{"path": "a", "range": [0.0, 1.0]}],
        "outcomes": {"scalars": ["y"]},
    }
    path = write_yaml(tmp_path / "allfail.yaml", data)
    code, out, err = cli(["sweep", str(path), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"])
    assert code == 1, (out, err)
    assert out.strip().splitlines()[-1] == "3 runs, 3 failed"
    assert "error: all 3 runs failed; the first: run 0 (a=0): KeyError: 'x1'" in err, err
    assert "Traceback" not in err


def test_allow_model_flag(tmp_path: Path) -> None:
    from sim.sweep.models import ModelNotAllowed, resolve_model

    with pytest.raises(ModelNotAllowed):
        resolve_model("math:hypot", allowed=())
    assert resolve_model("math:hypot", allowed=["math:hypot"])(3, 4) == 5.0
    assert resolve_model("sim.sweep.models:ishigami").__name__ == "ishigami"


def test_sweep_base_through_a_link_out_is_refused(tree: dict[str, Path]) -> None:
    scen = tree["scen"]
    (scen / "base_link.yaml").symlink_to(tree["out"] / "secret.yaml")
    data = {
        "name": "t",
        "base": "base_link.yaml",
        "design": {"type": "full_factorial", "levels": 2},
        "parameters": [{"path": "parameters.trade_elasticity", "range": [3.0, 5.0]}],
        "outcomes": {"scalars": ["kz_oil_lost_mt"]},
    }
    path = write_yaml(scen / "sw.yaml", data)
    code, _, err = cli(["sweep", str(path), "--out", str(tree["root"] / "o")])
    assert_clean_error(code, err)
    assert "base: " in err and "symbolic link into another folder" in err, err
    _no_foreign_content(err)


# ============================================================================ the workbench
def _source(t: dict[str, Path]) -> workflow.Source:
    return workflow.open_named(_cfg(t), "small.yaml")


@pytest.mark.parametrize("fname", ["../outside/valid.yaml", "/etc/passwd.yaml", "..", "", ".hidden.yaml"])
def test_pick_stays_in_the_scenarios_folder(tree: dict[str, Path], fname: str) -> None:
    if fname == "/etc/passwd.yaml":
        fname = str(tree["out"] / "valid.yaml")
    with pytest.raises(ScenarioError) as err:
        workflow.open_named(_cfg(tree), fname)
    assert str(err.value).startswith("Scenario: ")


def test_pick_refuses_a_link_out_of_the_folder(tree: dict[str, Path]) -> None:
    (tree["scen"] / "link.yaml").symlink_to(tree["out"] / "valid.yaml")
    with pytest.raises(ScenarioError, match=r"symbolic link into another folder|outside the folders"):
        workflow.open_named(_cfg(tree), "link.yaml")


@pytest.mark.parametrize("field", ["extends", "parameters_file", "trade.baseline_file", "paths.file"])
def test_upload_cannot_read_outside(tree: dict[str, Path], field: str) -> None:
    out = tree["out"]
    targets = {
        "extends": out / "valid.yaml",
        "parameters_file": out / "secret.yaml",
        "trade.baseline_file": out / "trade_small.csv",
        "paths.file": out / "secret.csv",
    }
    data = small_scenario_dict()
    data["trade"]["baseline_file"] = "trade_small.csv"
    for written in (str(targets[field]), os.path.relpath(targets[field], tree["scen"])):
        d = {k: v for k, v in data.items()}
        if field == "extends":
            d = {"extends": written, "name": "child"}
        elif field == "trade.baseline_file":
            d["trade"] = {**d["trade"], "baseline_file": written}
        elif field == "paths.file":
            d["paths"] = {"file": written}
        else:
            d[field] = written
        with pytest.raises(ScenarioError) as err:
            workflow.open_upload("up.yaml", yaml.safe_dump(d).encode(), tree["scen"], _cfg(tree).read_roots)
        text = re.sub(r"(?<=\S):\d+:\d+: ", ": ", str(err.value))  # positions: tests/test_error_lines.py
        assert f"up.yaml: {field}: " in text and "outside the folders read here" in text, text
        _no_foreign_content(text)


def test_upload_compare_with_line_outside_is_refused(tree: dict[str, Path]) -> None:
    text = f"# Compare with: {tree['out'] / 'valid.yaml'}\n" + (tree["small"]).read_text(encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"# Compare with: .*outside the folders read here"):
        workflow.open_upload("up.yaml", text.encode(), tree["scen"], _cfg(tree).read_roots)
    src = workflow.open_upload(
        "../../../up.yaml", tree["small"].read_bytes(), tree["scen"], _cfg(tree).read_roots
    )
    assert src.label == "up.yaml"  # the upload's own name is a label, never a path


@pytest.mark.parametrize(
    "name",
    ["../../../x.yaml", "/abs/x.yaml", "sub/x.yaml", ".hidden.yaml", "x.txt", "x", "a\0b.yaml", ""],
)
def test_save_refuses_names_that_leave_the_folder(tree: dict[str, Path], name: str) -> None:
    src = _source(tree)
    ed = workflow.edit(src, editor.Edits())
    if name == "/abs/x.yaml":
        name = str(tree["out"] / "x.yaml")
    before = _snapshot(tree["root"])
    with pytest.raises(ScenarioError) as err:
        workflow.save(src, ed, name, tree["save"])
    assert str(err.value).startswith("File name: ")
    assert _snapshot(tree["root"]) == before


def test_save_never_overwrites_without_the_choice(tree: dict[str, Path]) -> None:
    src = _source(tree)
    ed = workflow.edit(src, editor.Edits())
    first = workflow.save(src, ed, "mine.yaml", tree["save"])
    assert first.parent == tree["save"] and first.read_text(encoding="utf-8").startswith("# ")
    (tree["save"] / "victim.yaml").write_text("original\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="file exists"):
        workflow.save(src, ed, "victim.yaml", tree["save"])
    assert (tree["save"] / "victim.yaml").read_text(encoding="utf-8") == "original\n"
    (tree["save"] / "link.yaml").symlink_to(tree["out"] / "victim.yaml")
    with pytest.raises(ScenarioError, match="symbolic link"):
        workflow.save(src, ed, "link.yaml", tree["save"], overwrite=True)
    assert (tree["out"] / "victim.yaml").read_text(encoding="utf-8") == "original: true\n"
    workflow.save(src, ed, "victim.yaml", tree["save"], overwrite=True)
    assert (tree["save"] / "victim.yaml").read_text(encoding="utf-8").startswith("# ")


@pytest.mark.parametrize("name", ["/some/dir/victim", "../../victim", "a/b", ".x", "a\0b"])
def test_edited_name_that_would_be_a_path_is_refused(tree: dict[str, Path], name: str) -> None:
    if name == "/some/dir/victim":
        name = str(tree["out"] / "victim")
    src = _source(tree)
    ed = workflow.edit(src, editor.Edits(), name)
    assert ed.loaded is None and ed.error is not None
    assert ed.error.startswith("Name of the edited scenario: ")
    with pytest.raises(ScenarioError, match="not valid"):
        workflow.start_comparison(_cfg(tree), src, ed, tree["small"], 1, pool=None)  # type: ignore[arg-type]


def test_uploaded_name_that_is_a_path_is_refused(tree: dict[str, Path]) -> None:
    data = small_scenario_dict()
    data["name"] = str(tree["out"] / "victim")
    src = workflow.open_upload("up.yaml", yaml.safe_dump(data).encode(), tree["scen"], _cfg(tree).read_roots)
    ed = workflow.edit(src, editor.Edits())
    assert ed.error is not None and ed.error.startswith("Name of the edited scenario: ")


class _NoPool:
    """A pool that runs nothing: start_comparison's files are what is tested here."""

    def submit(self, fn, *args):
        import concurrent.futures

        return concurrent.futures.Future()  # never done; the job is cancelled


def test_start_comparison_writes_only_in_its_workspace(tree: dict[str, Path]) -> None:
    src = _source(tree)
    ed = workflow.edit(src, editor.Edits())
    # a name that slipped past the form (set in the mapping directly): still one sanitised file
    bad = workflow.Edited({**ed.mapping, "name": str(tree["out"] / "victim")}, ed.loaded, None, [])
    before = _snapshot(tree["out"])
    st_ = workflow.start_comparison(_cfg(tree), src, bad, tree["small"], 1, _NoPool())  # type: ignore[arg-type]
    st_.job.cancel()
    assert _snapshot(tree["out"]) == before
    assert st_.scenario_file.parent == st_.workspace and st_.workspace.parent == tree["results"]
    assert st_.scenario_file.name == pathpolicy.safe_name(str(tree["out"] / "victim")) + ".yaml"
    with pytest.raises(ScenarioError, match="outside the folders read here"):
        workflow.start_comparison(_cfg(tree), src, ed, tree["out"] / "valid.yaml", 1, _NoPool())  # type: ignore[arg-type]


# ============================================================================ properties
_PREFIXES = [
    "",
    "./",
    "../",
    "../outside/",
    "dlink/",
    "/outside/",
    "/scen/../outside/",
    "scen/../../outside/",
    "../scen/dlink/",
    "../../",
    "/",
    "~/",
    "..\\outside\\",
]
_FILES = [
    "valid.yaml",
    "secret.yaml",
    "trade_small.csv",
    "secret.csv",
    "shadow",
    "link_out.csv",
    "link_out.yaml",
    "victim.yaml",
    "small.yaml",
    "x.yaml",
    ".hidden.yaml",
    "a b.csv",
    "dlink",
]
_PIECES = st.sampled_from(["..", ".", "", "outside", "scen", "dlink", "link_out.csv", "~", "a b", "\\"])
_PATHS = st.one_of(
    st.builds(lambda pre, f: pre + f, st.sampled_from(_PREFIXES), st.sampled_from(_FILES)),
    st.builds(
        lambda abs_, parts: ("/" if abs_ else "") + "/".join(parts),
        st.booleans(),
        st.lists(st.one_of(_PIECES, st.sampled_from(_FILES)), min_size=1, max_size=5),
    ),
)
_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _links(t: dict[str, Path]) -> None:
    scen, out = t["scen"], t["out"]
    for name, target in (
        ("link_out.csv", out / "trade_small.csv"),
        ("link_out.yaml", out / "valid.yaml"),
        ("dlink", out),
    ):
        if not (scen / name).is_symlink():
            (scen / name).symlink_to(target)


def _absolutise(written: str, t: dict[str, Path]) -> str:
    """A drawn path that starts with '/' is put under the test's tree (or it could name anything)."""
    return str(t["root"]) + written if written.startswith("/") else written


FIELDS = ["extends", "parameters_file", "trade.baseline_file", "paths.file"]


def _upload_case(tree: dict[str, Path], field: str, written: str) -> bool:
    """Load an upload naming `written` in `field`: True if refused (cleanly, nothing foreign
    quoted), False if loaded (then every file it read lies in the workbench's folders)."""
    written = _absolutise(written, tree)
    data = small_scenario_dict()
    if field == "extends":
        data = {"extends": written, "name": "child"}
    elif field == "trade.baseline_file":
        data["trade"]["baseline_file"] = written
    elif field == "paths.file":
        data["paths"] = {"file": written}
    else:
        data[field] = written
    roots = _cfg(tree).read_roots
    try:
        src = workflow.open_upload("up.yaml", yaml.safe_dump(data).encode(), tree["scen"], roots)
    except ScenarioError as exc:
        _no_foreign_content(str(exc))
        return True
    for p in [*src.loaded.sources, src.loaded.path]:
        assert pathpolicy.inside(Path(p).resolve(), roots) or Path(p).name == "up.yaml", (field, written, p)
    return False


def test_every_attack_path_in_an_upload_is_refused_or_inside(tree: dict[str, Path]) -> None:
    """Every prefix x file x field: 676 uploads (the counts are in docs/robustness.md)."""
    _links(tree)
    refused = [_upload_case(tree, f, pre + name) for f in FIELDS for pre in _PREFIXES for name in _FILES]
    print(f"uploads: {len(refused)} tried, {sum(refused)} refused")
    assert len(refused) == 4 * len(_PREFIXES) * len(_FILES)


@_SETTINGS
@given(field=st.sampled_from(FIELDS), written=_PATHS)
def test_property_no_path_in_an_upload_reads_outside(tree: dict[str, Path], field: str, written: str) -> None:
    _links(tree)
    _upload_case(tree, field, written)


@_SETTINGS
@given(written=_PATHS)
def test_property_no_link_in_a_scenario_reads_another_folder(tree: dict[str, Path], written: str) -> None:
    """On the CLI a path the file names directly is the user's choice; one that goes through a
    symbolic link into another folder is refused."""
    _links(tree)
    written = _absolutise(written, tree)
    data = small_scenario_dict()
    data["trade"]["baseline_file"] = written
    path = write_yaml(tree["scen"] / "p.yaml", data)
    code, _, err = cli(["validate", str(path)])
    real = (tree["scen"] / written).resolve()
    through_link = real != Path(os.path.normpath(tree["scen"].resolve() / written))
    if code == 0:
        assert not through_link, written
    else:
        assert_clean_error(code, err)
        if through_link:  # a file named directly is the user's own choice; one behind a link is not read
            _no_foreign_content(err)


@_SETTINGS
@given(name=st.one_of(_PATHS, st.text(max_size=30)))
def test_property_no_form_name_writes_outside(tree: dict[str, Path], name: str) -> None:
    src = _source(tree)
    before = _snapshot(tree["out"])
    ed = workflow.edit(src, editor.Edits(), name)
    if ed.error is None:
        st_ = workflow.start_comparison(_cfg(tree), src, ed, tree["small"], 1, _NoPool())  # type: ignore[arg-type]
        st_.job.cancel()
        assert st_.scenario_file.resolve().parent == st_.workspace.resolve()
        assert st_.workspace.resolve().parent == tree["results"].resolve()
    fname = name if name.endswith(".yaml") else name + ".yaml"
    try:
        saved = workflow.save(src, workflow.edit(src, editor.Edits()), fname, tree["save"])
    except ScenarioError:
        pass
    else:
        assert saved.resolve().parent == tree["save"].resolve()
        saved.unlink()
    assert _snapshot(tree["out"]) == before


@_SETTINGS
@given(text=st.text(max_size=80))
def test_property_safe_name_is_a_file_name(text: str) -> None:
    name = pathpolicy.safe_name(text)
    assert name and "/" not in name and "\0" not in name and not name.startswith(".")
    assert name not in (".", "..") and len(name) <= pathpolicy.MAX_NAME_CHARS
    assert (Path("/folder") / name).parent == Path("/folder")


@_SETTINGS
@given(name=st.one_of(_PATHS, st.text(max_size=30)))
def test_property_no_sweep_name_leaves_results_sweeps(tree: dict[str, Path], name: str) -> None:
    from sim.sweep.spec import load_sweep

    data = {
        "name": name,
        "model": "sim.sweep.models:ishigami",
        "design": {"type": "full_factorial", "levels": 2},
        "parameters": [{"path": p, "range": [0.0, 1.0]} for p in ("x1", "x2", "x3")],
        "outcomes": {"scalars": ["y"]},
    }
    path = write_yaml(tree["root"] / "sw.yaml", data)
    try:
        loaded = load_sweep(path)
    except ScenarioError:
        return
    out = Path("/r/results/sweeps") / loaded.spec.name
    assert out.parent == Path("/r/results/sweeps") and os.path.normpath(out) == str(out)


def test_sweep_posterior_file_through_a_link_out_is_refused(tree: dict[str, Path]) -> None:
    scen = tree["scen"]
    (tree["out"] / "post.parquet").write_text(SHADOW, encoding="utf-8")
    (scen / "post.parquet").symlink_to(tree["out"] / "post.parquet")
    data = {
        "name": "t",
        "base": "small.yaml",
        "posterior": True,
        "posterior_file": "post.parquet",
        "design": {"type": "full_factorial", "levels": 2},
        "parameters": [{"path": "routes[KCP].capacity_per_year", "range": [10.0, 20.0]}],
        "outcomes": {"scalars": ["kz_oil_lost_mt"]},
    }
    path = write_yaml(scen / "sw.yaml", data)
    code, _, err = cli(["sweep", str(path), "--out", str(tree["root"] / "o")])
    assert_clean_error(code, err)
    assert "posterior_file: " in err and "symbolic link into another folder" in err, err
    _no_foreign_content(err)


def test_new_does_not_write_through_a_dangling_link(tree: dict[str, Path]) -> None:
    scen = tree["scen"]
    (scen / "mine.yaml").symlink_to(tree["out"] / "planted.yaml")
    code, _, err = cli(["new", "mine", "--extends", "small.yaml", "--dir", str(scen)])
    assert_clean_error(code, err)
    assert "file exists" in err and not (tree["out"] / "planted.yaml").exists()
