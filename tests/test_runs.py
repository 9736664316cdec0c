"""The run path: one run function (`sim.runs.job`), one executor layer (`sim.runs.executors`),
one seed module (`sim.seeds`) and one override entry point (`sim.scenario.overrides`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from scenario_factory import write_small_scenario

from sim.errors import InputError, ScenarioError
from sim.params import Parameters
from sim.runs.executors import (
    PRELOAD,
    PoolExecutor,
    SerialExecutor,
    WorkerDied,
    make_executor,
    map_items,
    mp_context,
    stream,
)
from sim.runs.job import Base, Draw, run_job
from sim.scenario.loader import load_scenario
from sim.scenario.overrides import draw_parameters, override_mapping, override_spec
from sim.seeds import SEED_MAX, check_seed, design_seed, replication_seeds, run_seed


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    return Base.of(load_scenario(write_small_scenario(tmp_path_factory.mktemp("runs"))))


# ----------------------------------------------------------------------------- seeds
def test_seed_streams_agree_and_differ_by_purpose() -> None:
    seeds = replication_seeds(7, 5)
    assert seeds == [run_seed(7, i) for i in range(5)]
    assert seeds == [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(7).spawn(5)]
    assert design_seed(7) not in seeds and len(set(seeds)) == 5


@pytest.mark.parametrize("bad", [-1, SEED_MAX + 1, True, 1.5, "3"])
def test_seed_range_is_checked_once(bad: object) -> None:
    with pytest.raises(InputError, match="2\\*\\*63-1") as exc:
        check_seed(bad, "--seed")
    assert exc.value.problems[0].field == "--seed"
    assert check_seed(np.int64(5)) == 5 and check_seed(SEED_MAX) == SEED_MAX


# ----------------------------------------------------------------------------- overrides
def test_override_by_path_and_bad_paths_name_the_field(base: Base) -> None:
    route = base.spec.routes[0].name
    spec = override_spec(base.mapping, {f"routes[{route}].capacity_per_year": 1.5})
    assert spec.routes[0].capacity_per_year == 1.5
    assert base.spec.routes[0].capacity_per_year != 1.5  # the base is not touched
    with pytest.raises(InputError) as exc:
        override_mapping(base.mapping, {"routes[Nowhere].capacity_per_year": 1.0})
    assert exc.value.problems[0].field == "routes[Nowhere].capacity_per_year"
    with pytest.raises(ScenarioError):
        override_spec(base.mapping, {f"routes[{route}].capacity_per_year": -5.0})


def test_parameters_then_paths(base: Base) -> None:
    params = Parameters(trade_elasticity=base.spec.parameters.trade_elasticity + 1.0)
    spec = override_spec(base.mapping, {"parameters.trade_elasticity": 0.5}, parameters=params)
    assert spec.parameters.trade_elasticity == 0.5  # a path overrides the given parameters
    spec = override_spec(base.mapping, {"parameters.route_logit_scale": 2.0}, parameters=params)
    assert (spec.parameters.trade_elasticity, spec.parameters.route_logit_scale) == (
        params.trade_elasticity,
        2.0,
    )


# ----------------------------------------------------------------------------- run_job
def test_run_job_is_a_function_of_scenario_seed_and_draw(base: Base) -> None:
    a, b = run_job(base, 3, record_flows=False), run_job(Base(base.spec, base.flows), 3, record_flows=False)
    np.testing.assert_array_equal(a.output.alignment, b.output.alignment)
    world = run_job(base.world, 3, record_flows=False)  # a compiled world, run as it is
    np.testing.assert_array_equal(a.output.alignment, world.output.alignment)
    draw = Draw(4, {"trade_elasticity": base.spec.parameters.trade_elasticity * 1.5})
    drawn = run_job(base, 3, draw=draw, record_flows=False)
    same = run_job(base, 3, parameters=draw_parameters(base.spec.parameters, draw.values), record_flows=False)
    assert drawn.draw == 4 and drawn.spec.parameters.trade_elasticity == draw.values["trade_elasticity"]
    np.testing.assert_array_equal(drawn.output.alignment, same.output.alignment)
    assert not np.array_equal(drawn.output.alignment, a.output.alignment)
    with pytest.raises(ValueError, match="Base"):
        run_job(base.world, 3, draw=draw)


def test_base_pickles_without_its_world(base: Base) -> None:
    import pickle

    _ = base.world
    copy = pickle.loads(pickle.dumps(base))
    assert "world" not in copy.__dict__ and copy.spec == base.spec
    assert copy.world.actors == base.world.actors


# ----------------------------------------------------------------------------- executors
def _worker_state(shared: object, x: int) -> tuple[object, int, bool, int]:
    return shared, x * x, "sim.core.model" in sys.modules, os.getpid()


def _square(x: int) -> int:
    return x * x


def test_pool_workers_fork_from_a_preloaded_server() -> None:
    assert mp_context().get_start_method() == "forkserver"
    assert "sim.core.model" in PRELOAD
    with PoolExecutor(1, shared="ctx") as pool:
        shared, y, preloaded, pid = pool.submit(_worker_state, 3).result()
    # the model was imported before the task ran: by the fork server, not by the worker
    assert (shared, y, preloaded) == ("ctx", 9, True) and pid != os.getpid()


def test_serial_and_pool_stream_the_same_results_in_order() -> None:
    tasks = list(range(7))
    with SerialExecutor(shared="s") as ex:
        serial = list(stream(ex, _worker_state, tasks))
    with make_executor(2, shared="s") as ex:
        pooled = list(stream(ex, _worker_state, tasks))
    assert [(t, r[:2]) for t, r in serial] == [(t, ("s", t * t)) for t in tasks]
    assert sorted((t, r[:2]) for t, r in pooled) == [(t, r[:2]) for t, r in serial]


class _Job:
    def setup(self) -> None:
        self.offset = 10

    def __call__(self, item: int) -> int:
        return item + self.offset


def test_map_items_returns_item_order_whatever_the_workers() -> None:
    assert (
        map_items(_Job(), range(6), workers=1)
        == map_items(_Job(), range(6), workers=2)
        == list(range(10, 16))
    )


def _die(x: int) -> int:
    os._exit(1)


def test_a_task_whose_worker_always_dies_is_reported_not_raised() -> None:
    with PoolExecutor(1) as pool:
        out = list(stream(pool, _die, [1], retries=1))
    assert out == [(1, WorkerDied(2))] and pool.restarts == 2


def test_entry_points_use_the_one_seed_check(tmp_path: Path) -> None:
    from sim.api import ensemble
    from sim.compare import compare

    path = write_small_scenario(tmp_path)
    with pytest.raises(InputError, match="2\\*\\*63-1") as exc:
        compare(path, path, replications=1, root_seed=SEED_MAX + 1)
    assert exc.value.problems[0].field == "--seed"
    with pytest.raises(InputError, match="2\\*\\*63-1"):
        ensemble(path, n=1, root_seed=-1)
