"""`mvsim new NAME --extends baseline.yaml`: write a commented counterfactual template.

The file (`<dir>/<NAME>.yaml`, default dir `scenarios`) extends the base, names itself, states
where the question goes (the first comment paragraph), carries a `# yaml-language-server:
$schema=` line for editor completion (docs/scenario.schema.json) after that paragraph, so it is
not read as part of the question, and commented example events taken from docs/actions.md.
It validates as written (`mvsim validate`) and runs like the base until you add events.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from sim.errors import InputError

HELP = "write a commented scenario template that extends a base scenario"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "scenario.schema.json"
EXAMPLE_TYPES = ("route_disruption", "sanction", "route_investment", "demand")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="scenario name (also the file name: NAME.yaml)")
    p.add_argument(
        "--extends",
        default="baseline.yaml",
        help="base scenario, relative to --dir (default baseline.yaml)",
    )
    p.add_argument(
        "--dir", type=Path, default=Path("scenarios"), help="directory to write to (default scenarios)"
    )


def _flow(data: object) -> str:
    import yaml

    return yaml.safe_dump(data, default_flow_style=True, sort_keys=False, width=1000).strip()


def template(name: str, extends: str, schema_ref: str, where: str = ".") -> str:
    """The template text (validates as is: no events yet). `extends` relative to `where` (the
    directory written to) or absolute; the suggested compare command names both as paths."""
    from sim.scenario.actions_doc import action_example, action_types, type_name

    examples = {type_name(c): action_example(c) for c in action_types()}
    base = extends if Path(extends).is_absolute() else f"{where}/{extends}"
    lines = [
        f"# {name}: what if ...? (the first comment paragraph is the question `mvsim compare` reports)",
        "#",
        f"# yaml-language-server: $schema={schema_ref}",
        f"# Compare with its base:  mvsim compare {base} {where}/{name}.yaml --replications 20",
        "# Every action, its fields, units and defaults: docs/actions.md.  Check: mvsim validate FILE",
        "",
        f"extends: {extends}",
        f"name: {name}",
        'description: ""',
        "",
        "# Scripted events are appended to the base's events; months are 'YYYY-MM'.",
        "# Uncomment and edit, e.g.:",
        "events: []",
        "# events:",
    ]
    for kind in EXAMPLE_TYPES:
        if kind in examples:
            lines += ['#   - date: "2025-01"', f"#     action: {_flow(examples[kind])}"]
    lines += [
        "",
        "# Other edits merge into the base by name (actors, blocs, goods, routes, shipments, hazards):",
        "# routes:",
        "#   - {name: Middle Corridor, capacity_per_year: 10.0}",
        "# parameters:",
        "#   trade_elasticity: 4.0",
        "",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if not NAME_RE.match(args.name):
        raise InputError(f"expected letters, digits, '_', '-' or '.', got {args.name!r}", field="NAME")
    out = args.dir / f"{args.name}.yaml"
    if not (args.dir / args.extends).is_file():
        raise InputError(
            "file not found; expected the base scenario, relative to --dir", file=str(args.dir / args.extends)
        )
    if out.exists():
        raise InputError("already exists; choose another NAME or delete it", file=str(out))
    schema_ref = Path(os.path.relpath(SCHEMA_FILE, args.dir.resolve())).as_posix()
    from sim.pathpolicy import write_new  # created exclusively: no link followed, nothing overwritten

    write_new(out, template(args.name, args.extends, schema_ref, args.dir.as_posix()), field="NAME")
    print(f"wrote {out}: add events, then `mvsim validate {out}`")
    return 0
