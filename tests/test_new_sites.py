"""New sites while hotel places stand empty (issue 13, the lead's decision on the loophole).

People in new contingency (Q, new sites) are not located: they count in no area's pressure basis. So
with an equity term on a basis that counts hotel residents, a plan can lower an area's pressure by
moving them out of its hotels while its hotel places, paid for, stay open. A linear program cannot
say "hotels first"; the model (1) prices a new site by default at a hotel place and its occupant,
``contingency_per_person_year + hotel_place_per_year``, and (2) reports every year with both people
in new sites and empty open hotel places: trajectory.csv ``empty_hotel_places``, a line of the solve's
headline, ``summary.json`` ``new_sites_while_hotel_places_empty``.

The hand-solved cases share one set-up. Area H: 100 people in its 100 hotel places now, no dispersal
capacity. Area B: 40 people in dispersal now, £1,000 a place, agreed at exactly 40, then 300 (and 300):
arrivals 0, 260 (and 0), no exits. Equal populations (100,000: caps 500, never binding), so each has
half the national total on the ``supported`` basis as its fair share; H's total on the basis is the
people in its hotels, L. Everyone else is in contingency: L + Q = 100 each year. Hotel £50,000 a
person-year; ``l1`` equity at ``equity_weight`` λ.

Equity: in 2026 the national total on the basis is 40 + L, so |L - (40+L)/2| + |40 - (40+L)/2| = |L - 40|:
H above its share while L > 40, and each person moved into a new site saves λ. From 2027 it is
300 + L and the distance 300 - L: each person in H's hotels saves λ.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator import solve
from allocator.cli.solving import headline_lines
from tests.conftest import area, assert_close, config, load


def _scenario(tmp_path: Path, years: list[int], *, place: float, weight: float, new: float | None = None):
    arrivals = [0, 260, 0][:len(years)]
    b_stock = [40, 300, 300][:len(years)]
    cfg = config(years, arrivals, exit_rate=0.0, hotel=50_000, policy={"pressure_basis": "supported"},
                 objective={"equity_weight": weight},
                 agreements=[{"area_code": "B", "year": y, "exact": s} for y, s in zip(years, b_stock)])
    del cfg["demand"]["contingency_start"]
    cfg["costs"]["hotel_place_per_year"] = place
    if new is not None:
        cfg["costs"]["new_contingency_per_person_year"] = new
    rows = [area("H", population=100_000, contingency=100),
            area("B", population=100_000, stock=40, capacity=300, cost=1_000)]
    return load(tmp_path, cfg, rows)


@pytest.mark.parametrize(("new", "objective", "located", "new_sites"), [
    (None, 20_340_000, [100, 100, 100], [0, 0, 0]),
    (50_000, 18_840_000, [0, 0, 0], [100, 100, 100]),
])
def test_new_sites_default_price_fills_hotel_places_first(tmp_path: Path, new, objective, located,
                                                          new_sites) -> None:
    """Three years (2026-2028), an open hotel place £8,000 a year, λ = £5,000.

    Default price of a new site: £50,000 + £8,000 = £58,000, what a place and its occupant cost. Moving
    someone out of H in 2026 while its places stay open for 2027-28 costs £8,000 more and saves λ =
    £5,000: not worth it. Closing a place from 2028 (or 2027) and moving its person to a new site costs
    the same money and loses λ (or 2λ). So all 100 stay in H's hotels, places open: 3 × (100 × 50,000 +
    100 × 8,000) = 17,400,000, dispersal 1,000 × (40 + 300 + 300) = 640,000, equity 5,000 × (60 + 200 + 200)
    = 2,300,000: 20,340,000.

    Priced at £50,000 (the hotel cost alone, the old default): an open place is pure overhead, worth
    keeping only for the equity of 2027-28 (λ = £5,000 a person-year against £8,000 a place-year): all
    100 are in new sites, every place closed: 15,000,000 + 640,000 + 5,000 × (40 + 300 + 300) = 18,840,000.
    Neither plan leaves a hotel place open and empty, and neither reports it.
    """
    sc = _scenario(tmp_path, [2026, 2027, 2028], place=8_000, weight=5_000, new=new)
    plan = solve(sc)
    assert plan.objective == pytest.approx(objective, rel=1e-9)
    assert_close(plan.exact_hotels.located[0], located)
    assert_close(plan.exact_hotels.places[0], located)
    assert_close(plan.exact_hotels.new, new_sites)
    t = plan.trajectory
    assert t["new_contingency"].tolist() == new_sites and t["empty_hotel_places"].tolist() == [0, 0, 0]
    assert t["contingency_cost"].tolist() == [located[0] * 58_000 + new_sites[0] * (new or 58_000)] * 3
    assert "new_sites_while_hotel_places_empty" not in plan.summary
    assert not any("hotel places stood empty" in line for line in headline_lines(plan))


@pytest.mark.parametrize(("place", "weight", "objective", "why"), [
    (0, 5_000, 11_340_000, "new sites are priced no higher than a person in an open hotel place "
                           "(costs.new_contingency_per_person_year £50,000, contingency_per_person_year £50,000)"),
    (8_000, 20_000, 16_420_000, "people in an area's hotels count on its pressure basis and people in new sites "
                                "do not: the equity term or the cap on the basis outweighed what new sites cost more"),
])
def test_new_sites_while_hotel_places_stand_empty_are_reported(tmp_path: Path, place, weight, objective, why) -> None:
    """Two years (2026-2027), the default price of a new site.

    * Hotel places free (the default): a new site costs £50,000, what a person in a hotel costs, so
      equity alone decides. 2027: L = 100 (each saves λ); so 100 places stay open in 2026 too (they
      never reopen), but in 2026 H is above its share while L > 40: L = 40, Q = 60, and 60 places stand
      empty. Objective: 50,000 × 200 + 1,000 × 340 + 5,000 × (0 + 200) = 11,340,000.
    * A place £8,000 a year, λ = £20,000: a new site costs £58,000. 2027: a person in H saves £8,000
      in money and λ, and needs a place both years (£16,000): L = 100. 2026: moving one of H's people
      into a new site (its place open anyway) costs £8,000 and saves λ = £20,000: L = 40 again, 60 in
      new sites beside 60 empty places, although new sites are dearer. Objective: 50,000 × 140 +
      58,000 × 60 + 8,000 × 200 + 1,000 × 340 + 20,000 × 200 = 16,420,000.
    """
    sc = _scenario(tmp_path, [2026, 2027], place=place, weight=weight)
    plan = solve(sc)
    assert plan.objective == pytest.approx(objective, rel=1e-9)
    assert_close(plan.exact_hotels.located[0], [40, 100])
    assert_close(plan.exact_hotels.places[0], [100, 100])
    assert_close(plan.exact_hotels.new, [60, 0])
    t = plan.trajectory
    assert t["new_contingency"].tolist() == [60, 0] and t["empty_hotel_places"].tolist() == [60, 0]
    assert plan.summary["new_sites_while_hotel_places_empty"] == {
        "years": [{"year": 2026, "new_contingency": 60, "empty_hotel_places": 60}], "why": why}
    line = "2026: 60 people in new sites while 60 hotel places stood empty: " + why + "."
    assert [x for x in headline_lines(plan) if "hotel places stood empty" in x] == [line]
