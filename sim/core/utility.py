"""One utility currency: USD bn of present value over the decision horizon.

Every decision term is a present value in USD bn. Flows (USD bn/yr) are discounted
monthly at `decision_discount_rate` over the months they last inside the horizon;
non-economic terms convert with the named exchange rates of `sim.params.Parameters`
(`stance_utility`, `influence_weight`, `punishment_weight`, `rivalry_weight`), each a
USD bn value per unit of the term, documented with its unit and source there.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.params import Parameters


def monthly_discount(params: Parameters) -> float:
    """Monthly discount factor from the annual rate (monthly compounding)."""
    return (1.0 + params.decision_discount_rate) ** (-1.0 / 12.0)


def annuity_years(params: Parameters, start: float, months: float) -> float:
    """Present value, in years, of 1 USD bn/yr received from month `start` for `months` months.

    Truncated at the decision horizon; payments at the start of each month. So a flow
    change of dW USD bn/yr is worth dW x annuity_years USD bn today.
    """
    horizon = params.decision_horizon_months
    first = int(max(0.0, start))
    last = int(min(horizon, start + months))
    if last <= first:
        return 0.0
    return _annuity(params.decision_discount_rate, first, last)


@lru_cache(maxsize=4096)
def _annuity(rate: float, first: int, last: int) -> float:
    d = (1.0 + rate) ** (-1.0 / 12.0)  # = monthly_discount
    t = np.arange(first, last, dtype=float)
    return float((d**t).sum() / 12.0)


def horizon_years(params: Parameters) -> float:
    """Present value in years of a flow lasting the whole horizon."""
    return annuity_years(params, 0, params.decision_horizon_months)
