"""The columns of the scenario's tables: the areas table and the agreements table (their specs,
which the loader checks and docs/scenario-format.md lists), and the largest values accepted."""

from __future__ import annotations

from allocator import opening
from allocator.tables import Column

#: Largest values accepted: far beyond any real council, small enough that no sum overflows
#: and the linear program stays well scaled. Larger inputs are refused with this limit named.
MAX_PEOPLE = 1e8
MAX_POUNDS = 1e7


AREA_COLUMNS: tuple[Column, ...] = (
    Column("area_code", "text", True, "", "Unique code of the area (e.g. the ONS/GSS code)."),
    Column("area_name", "text", True, "", "Name of the area."),
    Column("region", "text", True, "", "Region the area belongs to (used for regional totals)."),
    Column("population", "number", True, "people", "Resident population (at least 1).", 1.0, False, 1e9),
    Column("stock", "number", True, "people", "People in dispersed accommodation in the area now (whole number).",
           0.0, False, MAX_PEOPLE, True),
    Column("capacity", "number", True, "bed spaces", "Bed spaces usable now (at least `stock`; whole number).",
           0.0, False, MAX_PEOPLE, True),
    Column("procurement_per_year", "number", True, "bed spaces/year",
           "Most new bed spaces that can be procured in a year (whole number).", 0.0, False, MAX_PEOPLE, True),
    Column("cost_per_place", "number", True, "£/person-year", "Annual property market cost of one occupied place.",
           0.0, False, MAX_POUNDS),
    Column("status", "status", True, "", "`existing`, `volunteered` or `excluded`."),
    Column("available_from", "year", False, "year", "First year a volunteered area can receive people (volunteered areas only).",
           1900.0, False, 2200.0),
    Column("cluster_limit", "number", False, "residents per person", "Locally agreed cluster limit overriding policy.cluster_limit.",
           1.0, False, 1e6),
    Column("weight", "number", False, "", "Fair-share key other than population (use with policy.fair_share: weight).",
           0.0, False, 1e12),
    Column("contingency", "number", False, "people",
           "People in hotels and other contingency accommodation in the area now (whole number); its hotel places.",
           0.0, False, MAX_PEOPLE, True),
    Column("hotels_close_by", "year", False, "year", "From this year the area has no open hotel places.",
           1900.0, False, 2200.0),
    Column("hotel_places", "number", False, "hotel places",
           "Open hotel places in the area now, at least `contingency` (whole number; empty = `contingency`): the "
           "places beyond the people in them stand empty and may be filled again.", 0.0, False, MAX_PEOPLE, True),
    Column("protect", "flag", False, "", "`true` or `false`: protection (policy.protect) forced on or off for the area."),
    Column("protect_level", "number", False, "people",
           "The level protection holds a protected area to instead of today's (whole number; needs `protect: true`): "
           "people in dispersal (`no_net_growth`) or on the pressure basis (`no_rise`).", 0.0, False, MAX_PEOPLE, True),
    Column("over_cap_until", "year", False, "year",
           "The area counts as over its cap on the pressure basis by inheritance in every planning year up to and "
           "including this one, whatever its position (a re-plan carries the previous plan's judgement).",
           1900.0, False, 2200.0),
    Column("initial", "number", False, "people",
           "People in initial accommodation in the area (whole number): counted on the `supported` pressure basis.",
           0.0, False, MAX_PEOPLE, True),
    # ---- opening decisions (allocator.opening): min_open and open_cost make the model a mixed-integer program
    Column("min_open", "number", False, "people", opening.DESCRIBE["min_open"], 0.0, False, MAX_PEOPLE, True),
    Column("open_cost", "number", False, "£", opening.DESCRIBE["open_cost"], 0.0, False, 1e9),
    Column("lead_time", "number", False, "years", opening.DESCRIBE["lead_time"], 0.0, False, 100.0, True),
)
COHORT_COLUMNS = ("stock", "capacity", "procurement_per_year", "cost_per_place")

AGREEMENT_COLUMNS: tuple[Column, ...] = (
    Column("area_code", "text", True, "", "The area the agreement is about (must be in the areas table)."),
    Column("year", "year", True, "year", "The planning year whose end-of-year stock is agreed.", 1900.0, False, 2200.0),
    Column("minimum", "number", False, "people", "At least this many people in the area at the end of the year.",
           0.0, False, MAX_PEOPLE),
    Column("maximum", "number", False, "people", "At most this many people in the area at the end of the year.",
           0.0, False, MAX_PEOPLE),
    Column("exact", "number", False, "people", "Exactly this many (instead of minimum and maximum).",
           0.0, False, MAX_PEOPLE),
    Column("note", "text", False, "", "Free text: who agreed it and when (reported, not used)."),
)
