r"""Whole people for hotels by area: the people in each area's hotels, its open places, new contingency.

:func:`allocator.rounding.whole_plan` rounds the stock first; this module adds the rules of the
hotels (docs/model.md, "The whole-people rules"):

* open hotel places :math:`H_{it}` round **up**, :math:`\lceil H_{it} \rceil`: still at most
  :math:`c^0_i` (whole), non-increasing, 0 from :math:`\tau_i`, and never below the people in them;
* the people in an area's hotels :math:`L_{it}` round down or up (less than a person from the
  exact plan), at most the open places, within the cap on the pressure basis (stock plus hotel
  residents) and, over the cap by inheritance or protected with ``no_rise``, with a total on the
  basis that never rises;
* new contingency :math:`Q_t` is the rest of the whole contingency, need less dispersal less
  :math:`\sum_i L_{it}`: never negative, and :math:`Q_t` rounded down or up. The national total's
  whole range is narrowed so that this rest exists (:func:`tighten`).

:func:`fast_hotels` rounds :math:`L` year by year by largest remainder after the stock; where a
rule is broken, :func:`allocator.rounding.exact_rounding` solves for both with the rows of
:func:`ip_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocator.data import ModelData, cell_limits
from allocator.lp import LPBuilder
from allocator.place import Hotels

EPS = 1e-9


@dataclass(frozen=True)
class HotelRules:
    """The whole-people rules of the hotels, as bounds (floats holding whole numbers)."""

    L: np.ndarray          # (A,T) exact people in hotels
    base: np.ndarray       # (A,T) floor(L)
    up: np.ndarray         # (A,T) bool: base + 1 allowed (L not whole, within the open places)
    places: np.ndarray     # (A,T) whole open hotel places, ceil(H)
    q_lo: np.ndarray       # (T,) floor(Q)
    q_hi: np.ndarray       # (T,) ceil(Q)
    cap: np.ndarray        # (A,T) most stock + hotel residents (the cap on the basis), inf where it does not apply
    no_rise: np.ndarray    # (A,T) bool: the total on the basis (less its fixed counts) may not rise
    start: np.ndarray      # (A,) today's stock and hotel residents: the total on the basis before year 0, less F_i
                           # (protected with no_rise: at most its level, cell_limits' protect)
    need: np.ndarray       # (T,) whole need


def hotel_rules(d: ModelData, hotels: Hotels) -> HotelRules:
    """The rules for the exact hotels of a plan of ``d``."""
    L = np.maximum(hotels.located, 0.0)
    base = np.floor(L + EPS)
    places = np.clip(np.ceil(hotels.places - EPS), 0.0, (d.hotel_places0[:, None] * d.hotel_open))
    up = (L - base > EPS) & (base + 1 <= places)
    Q = np.maximum(hotels.new, 0.0)
    located = d.hotel_places0 > 0
    count = d.basis_hotels & located[:, None]
    cap = np.where(count & d.pressure_capped(), cell_limits(d, whole=True).cluster, np.inf)
    no_rise = count & d.over_basis if d.basis_hotels else np.zeros(L.shape, bool)
    start = np.round(d.stock0.sum(axis=1)) + d.hotel0
    if d.protect_rule == "no_rise" and d.protected is not None:       # protected: no rise, hotels or not
        no_rise = no_rise | (d.protected[:, None] & d.eligible)
        start = np.fmin(start, cell_limits(d, whole=True).protect[:, 0])   # and the first year at most its level
    return HotelRules(L=L, base=base, up=up, places=places, q_lo=np.floor(Q + EPS), q_hi=np.ceil(Q - EPS),
                      cap=cap, no_rise=no_rise, start=start, need=np.round(d.need.sum(axis=1)))


def tighten(hr: HotelRules, nat_lo: np.ndarray, nat_hi: np.ndarray, area_hi: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The national totals that leave a whole new contingency within a person of the exact one, and
    each area's most stock under its cap on the basis less its hotel residents rounded down (the
    stock rounded up and the hotel residents rounded down always fit: both are under a whole cap)."""
    most = (hr.base + hr.up).sum(axis=0) + hr.q_hi
    least = hr.base.sum(axis=0) + hr.q_lo
    return (np.maximum(nat_lo, hr.need - most), np.minimum(nat_hi, hr.need - least),
            np.minimum(area_hi, hr.cap - hr.base))


def _room(hr: HotelRules, total: np.ndarray, prev: np.ndarray, t: int) -> np.ndarray:
    """(A,) the most people in each area's hotels in year ``t`` with ``total`` (A,) whole stock, and
    ``prev`` (A,) last year's whole stock plus hotel residents."""
    hi = np.minimum(hr.base[:, t] + hr.up[:, t], hr.cap[:, t] - total)
    return np.where(hr.no_rise[:, t], np.minimum(hi, prev - total), hi)


def fast_hotels(hr: HotelRules, R: np.ndarray) -> np.ndarray | None:
    """The people in each area's hotels (A,T) by largest remainder, year by year, after the whole stock
    ``R``; None where a year's rules cannot all hold this way (the integer program then decides)."""
    total = R.sum(axis=2)
    out = np.zeros(hr.L.shape, np.int64)
    prev = hr.start
    for t in range(hr.L.shape[1]):                                        # T steps, not A×T
        lo, hi = hr.base[:, t], _room(hr, total[:, t], prev, t)
        if (lo > hi).any():
            return None
        rest = hr.need[t] - total[:, t].sum()                             # whole contingency
        want = np.clip(np.round(hr.L[:, t].sum()), rest - hr.q_hi[t], rest - hr.q_lo[t])
        if not lo.sum() <= want <= hi.sum():
            return None
        out[:, t] = lo + (hr.up[:, t] & (hi > lo) & _largest(hr.L[:, t] - lo, hi > lo, int(want - lo.sum())))
        prev = total[:, t] + out[:, t]
    return out


def _largest(frac: np.ndarray, can: np.ndarray, count: int) -> np.ndarray:
    """True for the ``count`` cells of ``can`` with the largest ``frac`` (ties: the earlier cell)."""
    order = np.argsort(-np.where(can, frac, -1.0), kind="stable")[:max(count, 0)]
    pick = np.zeros(frac.shape, bool)
    pick[order] = True
    return pick


def broken_hotels(hr: HotelRules, R: np.ndarray, L: np.ndarray | None) -> list[str]:
    """The hotel rules the whole stock ``R`` and hotel residents ``L`` break, by name."""
    if L is None:
        return ["no whole-people hotel residents keep every rule year by year"]
    total = R.sum(axis=2)
    new = hr.need - total.sum(axis=0) - L.sum(axis=0)
    before = np.concatenate([hr.start[:, None], (total + L)[:, :-1]], axis=1)
    checks = {
        "hotel residents more than a person from the exact plan, or above the open places":
            (L < hr.base) | (L > hr.base + hr.up),
        "new contingency negative, or a person or more from the exact one": (new < hr.q_lo) | (new > hr.q_hi),
        "stock and hotel residents above the cap on the pressure basis": total + L > hr.cap,
        "a total on the pressure basis rising while over the cap or protected": hr.no_rise & (total + L > before),
    }
    return [name for name, bad in checks.items() if bad.any()]


def ip_rows(lp: LPBuilder, hr: HotelRules, base: np.ndarray, var: np.ndarray, u: np.ndarray,
            reference: np.ndarray | None) -> np.ndarray:
    """Add the hotel residents to the rounding's integer program: a 0/1 column per cell whose exact
    value is not whole (:math:`L = \\lfloor L \\rfloor + v`) and the rows for new contingency, the cap on
    the basis and no rise. ``base`` (A,T,H) is the stock rounded down, ``var`` (A,T,H) its 0/1 columns
    (-1 where whole) and ``u`` those columns. Returns (A,T) the hotel columns (-1 where whole)."""
    n_a, n_t = hr.L.shape
    cells = np.flatnonzero(hr.up.ravel())
    a, t = np.divmod(cells, n_t)
    ref = np.zeros(cells.size) if reference is None else reference.ravel()[cells] - hr.base.ravel()[cells]
    frac = hr.L.ravel()[cells] - hr.base.ravel()[cells]
    v = lp.add_variables("v", (cells.size,), 0.0, 1.0,
                         np.where(ref > 0, -1.0, 1.0) + (1.0 - 2.0 * frac) / (2.0 * cells.size + 2.0))
    hv = np.full((n_a, n_t), -1, np.int64)
    hv[a, t] = v
    s_cells = np.flatnonzero(var.ravel() >= 0)
    _, s_t, _ = np.unravel_index(s_cells, var.shape)
    rest = hr.need - base.sum(axis=(0, 2)) - hr.base.sum(axis=0)
    lp.add_rows("new_contingency", n_t, [(s_t, u, 1.0), (t, v, 1.0)], rest - hr.q_hi, rest - hr.q_lo)
    stock = base.sum(axis=2)
    for name, mask, most in (("cap_on_basis", np.isfinite(hr.cap), hr.cap - stock - hr.base),
                             ("no_rise", hr.no_rise, None)):
        ai, ti = np.nonzero(mask)
        if not ai.size:
            continue
        row = np.arange(ai.size)
        terms = _area_terms(row, ai, ti, var, hv, 1.0)
        if most is None:                                   # last year's total on the basis, less F
            later = ti >= 1
            terms += _area_terms(row[later], ai[later], ti[later] - 1, var, hv, -1.0)
            prev = np.where(later, (stock + hr.base)[ai, np.maximum(ti - 1, 0)], hr.start[ai])
            most = np.zeros(mask.shape)
            most[ai, ti] = prev - stock[ai, ti] - hr.base[ai, ti]
        lp.add_rows(name, ai.size, terms, -np.inf, most[ai, ti])
    return hv


def _area_terms(row: np.ndarray, a: np.ndarray, t: np.ndarray, var: np.ndarray, hv: np.ndarray, sign: float):
    """Terms of an area's stock and hotel residents' 0/1 columns in year ``t``, for rows ``row``."""
    s = var[a, t, :]
    r = np.broadcast_to(row[:, None], s.shape)
    h = hv[a, t]
    return [(r[s >= 0], s[s >= 0], sign), (row[h >= 0], h[h >= 0], sign)]


def whole_hotels(d: ModelData, hr: HotelRules, L: np.ndarray, R: np.ndarray) -> Hotels:
    """The whole-people hotels: the residents ``L``, the places rounded up, the rest new contingency."""
    new = hr.need - R.sum(axis=(0, 2)) - L.sum(axis=0)
    return Hotels(located=L.astype(np.int64), places=hr.places.astype(np.int64), new=new.astype(np.int64))
