"""`allocator report`: one self-contained HTML file, checked as text and in a real headless browser.

The browser tests (marked ``browser``) run Debian's ``chromium`` and are skipped where it is not
installed; ``.ci/run`` installs it so CI runs them. They check that the report loads with no
network request (Chromium's own NetLog, page requests only) and no console message or error, that
its script ran (a search from the URL filters the table), that each map has one hexagon per area,
and they write a screenshot to ``out/screenshots/`` for people to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import pytest
from click.testing import CliRunner

from allocator import charts, load_scenario, read_plan, solve
from allocator.cli import cli
from allocator.hexmap import hexes, layout, rate_colour
from allocator.output import fmt
from allocator.replan import replan
from allocator.plot import draw_costs, draw_people
from allocator.report import CHART_SIZE, build_report, plan_summary_html
from tests.conftest import area, config, solve_rows

REPO = Path(__file__).resolve().parents[1]
UK = REPO / "scenarios" / "uk-2025"
SCREENSHOTS = REPO / "out" / "screenshots"
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)
browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


# --------------------------------------------------------------------------- plans and reports
@pytest.fixture(scope="module")
def uk(tmp_path_factory) -> dict:
    """The national central and high-arrivals plans, written, and a report comparing them (via the CLI)."""
    root = tmp_path_factory.mktemp("uk")
    for name in ("central", "high-arrivals"):
        solve(load_scenario(UK / f"{name}.yaml")).write(root / name)
    out = root / "report.html"
    res = CliRunner().invoke(cli, ["report", str(root / "central"), "--compare", str(root / "high-arrivals"),
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    return {"root": root, "html": out, "plan": read_plan(root / "central"),
            "other": read_plan(root / "high-arrivals")}


class Hexes(HTMLParser):
    """Polygons inside each <svg class="hexmap">, with their data-code."""

    def __init__(self) -> None:
        super().__init__()
        self.maps: list[list[str]] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "hexmap" in (a.get("class") or "").split():
            self.maps.append([])
            self.depth = 1
        elif tag == "svg" and self.depth:
            self.depth += 1
        elif tag == "polygon" and self.depth:
            self.maps[-1].append(a.get("data-code"))

    def handle_endtag(self, tag):
        if tag == "svg" and self.depth:
            self.depth -= 1


def hex_maps(html: str) -> list[list[str]]:
    p = Hexes()
    p.feed(html)
    return p.maps


def test_report_is_self_contained(uk) -> None:
    html = uk["html"].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", html), "no address of any web resource, not even in text"
    assert not re.search(r"""\s(src|srcset|action|formaction|poster|data)\s*=""", html)
    assert re.findall(r"<link\b[^>]*>", html) == ['<link rel="icon" href="data:,">']
    assert "@import" not in html
    assert not re.search(r"url\((?!#[\w-]+\))", html), "url() only for a part of the page (a chart's clip path)"
    assert not re.search(r"""href="(?!#|data:,"|[\w-]+\.html")""", html), "links only inside the page or the folder"
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert len(html) < 1_000_000


def test_report_has_every_section(uk) -> None:
    html = uk["html"].read_text(encoding="utf-8")
    for section in ('id="headline"', 'id="trajectory"', 'id="map"', 'id="fair-share"', 'id="councils"'):
        assert section in html
    end = uk["plan"].summary["headline"]["end"]
    assert f"{end['dispersed']:,}" in html                                  # 98,807 in dispersal
    assert "What changes against high-arrivals" in html
    assert html.count('<svg class="chart"') == 3                            # people; costs; fair share
    assert html.count("<tr data-code=") == 361                             # the table of every council


def test_one_hexagon_per_area_now_and_at_the_end(uk) -> None:
    maps = hex_maps(uk["html"].read_text(encoding="utf-8"))
    codes = set(uk["plan"].allocations["area_code"])
    assert len(maps) == 2
    for m in maps:
        assert len(m) == 361 and set(m) == codes


def test_the_maps_judge_the_cluster_limit_on_the_plans_pressure_basis(uk) -> None:
    """Trial (a)5: the central plan (supported basis) has 3 areas over the cluster limit now, but only Glasgow
    was outlined (dispersal alone), Hillingdon's tooltip gave 4.8 per 10,000 (dispersal) and the report
    never named the basis. Now: outlined on the basis, the basis rate with dispersal alone beside it."""
    html = uk["html"].read_text(encoding="utf-8")
    now = html[html.index('<svg class="hexmap"'):]
    now = now[:now.index("</svg>")]
    outlined = set(re.findall(r'<polygon class="[^"]*\bover\b[^"]*" data-code="(\w+)"', now))
    over = {r["area_code"] for r in uk["plan"].summary["over_cap_on_basis"]}
    assert over == {"E09000017", "E09000018", "S12000049"} and outlined == over
    assert ("<title>Hillingdon (E09000017): 158 people in dispersal; 62.4 per 10,000 on the pressure basis "
            "(supported), 4.8 in dispersal alone — over its cluster limit</title>") in now
    assert "Map: people per 10,000 residents on the pressure basis (supported)" in html


def test_the_map_caption_names_initial_accommodation_on_the_supported_basis(uk) -> None:
    """Trial 3 (b): the caption said the colours count the people "under the other programmes the basis names";
    on the supported basis those are the people in initial accommodation (allocator.place.fixed_words)."""
    html = uk["html"].read_text(encoding="utf-8")
    assert ("the colours and outlines count the people it counts (in dispersal, in the area's hotels and in initial "
            "accommodation)") in html
    assert "other programmes" not in html


def test_the_hex_layout_places_every_uk_council_once() -> None:
    codes = load_scenario(UK / "central.yaml").areas["area_code"].tolist()
    lay = layout(codes)
    assert lay.missing == []
    assert len(set(lay.centres.values())) == 361                            # no two areas on one hexagon
    assert len(hexes()) == 361


def test_regional_reports(uk, tmp_path: Path) -> None:
    out = tmp_path / "regions"
    res = CliRunner().invoke(cli, ["report", str(uk["root"] / "central"), "--by-region", "--out", str(out)])
    assert res.exit_code == 0, res.output
    alloc = uk["plan"].allocations
    regions = sorted(alloc["region"].unique())
    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))   # and the marker
    assert len(files) == len(regions) + 1 and "index.html" in files
    index = (out / "index.html").read_text(encoding="utf-8")
    final = int(alloc["year"].max())         # the index counts dispersal alone, and says so (trial 5, report-basis)
    assert f'<th class="num">In dispersal now</th><th class="num">In dispersal, end of {final}</th>' in index
    north_west = int(alloc.loc[(alloc["region"] == "North West") & (alloc["year"] == final), "stock"].sum())
    assert re.search(rf'North West</a></td><td class="num">\d+</td><td class="num">[\d,]+</td><td class="num">'
                     rf'{north_west:,}</td>', index)
    for region in regions:
        slug = re.sub(r"[^a-z0-9]+", "-", region.lower()).strip("-")
        html = (out / f"{slug}.html").read_text(encoding="utf-8")
        assert f'href="{slug}.html"' in index
        councils = set(alloc.loc[alloc["region"] == region, "area_code"])
        maps = hex_maps(html)
        assert len(maps) == 2 and all(set(m) == councils and len(m) == len(councils) for m in maps)
        assert html.count("<tr data-code=") == len(councils)
        assert not re.search(r"https?://", html)


def test_example_scenario_has_no_map_and_says_why(example_plan) -> None:
    html = build_report(example_plan)
    assert hex_maps(html) == []
    assert "No hex map: none of the 12 area codes is a UK council area code" in html
    assert html.count("<tr data-code=") == 12


def test_plan_folder_without_start_csv(example_plan, tmp_path: Path) -> None:
    example_plan.write(tmp_path / "p")
    (tmp_path / "p" / "start.csv").unlink()
    html = build_report(read_plan(tmp_path / "p"))
    assert "has no <code>start.csv</code>" in html


def test_text_from_the_plan_is_escaped(example_scenario) -> None:
    areas = example_scenario.areas.copy()
    areas.loc[0, "area_name"] = '<script>alert("x")</script>'
    areas.loc[1, "region"] = "North <b>&</b>"
    html = build_report(solve(example_scenario.with_areas(areas)))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert html.count("<script>") == 2                                       # only the report's own two


def test_names_are_text_in_charts_not_mathtext_or_control_characters(example_scenario) -> None:
    areas = example_scenario.areas.copy()
    areas.loc[0, "area_name"] = "Cost $x^2$ \\frac{"
    areas["region"] = areas["region"].where(areas["region"] != areas.loc[1, "region"], "North $1$ \x1b[31m")
    plan = solve(example_scenario.with_areas(areas))
    html = build_report(plan)
    assert "\x1b" not in html
    chart = html[html.index('<section id="fair-share">'):html.index('<section id="councils">')]
    assert ">North $1$ \\x1b[31m</text>" in chart                      # the region's name, as written
    region = plan.allocations.loc[plan.allocations["area_name"] == "Cost $x^2$ \\frac{", "region"].iloc[0]
    assert ">Cost $x^2$ \\frac{</text>" in build_report(plan, region=region)
    plan.plot.fair_share(region=region)                                 # no mathtext error either


def test_same_plan_same_bytes_whatever_the_users_matplotlib_settings(example_plan, monkeypatch) -> None:
    """matplotlib's SVG ids (a random salt unless set), its date and the user's style never reach the file;
    long plan names fit their charts (no layout warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = build_report(example_plan, compare=example_plan)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")
    style = {"lines.linewidth": 7, "font.size": 30, "axes.facecolor": "black", "svg.hashsalt": None,
             "svg.fonttype": "path"}
    with matplotlib.rc_context(style):
        again = build_report(example_plan, compare=example_plan)
        assert matplotlib.rcParams["lines.linewidth"] == 7                 # the user's settings are kept
    assert again == first


def test_the_report_written_by_the_cli_is_the_report_of_the_api(uk) -> None:
    assert build_report(uk["plan"], label="central", compare=uk["other"], compare_label="high-arrivals") \
        == uk["html"].read_text(encoding="utf-8")


def test_plan_html_summary_for_notebooks(example_plan) -> None:
    html = example_plan._repr_html_()
    assert html == plan_summary_html(example_plan)
    assert "In hotels (contingency)" in html and "1,500" in html and "end of 2030" in html


# --------------------------------------------------------------------------- the browser
def chromium(args: list[str], profile: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run headless chromium; ``timeout`` is a hang guard only (scripts run in virtual time, not wall time)."""
    profile.mkdir(parents=True, exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def load_page(url: str, tmp: Path) -> tuple[str, list[str], list[str]]:
    """Open ``url``; return the DOM after scripts ran, the page's network requests and its console lines."""
    netlog = tmp / "netlog.json"
    r = chromium(["--enable-logging=stderr", "--v=0", "--log-level=0", f"--log-net-log={netlog}",
                  "--net-log-capture-mode=Default", "--virtual-time-budget=5000", "--dump-dom", url], tmp / "profile")
    assert r.returncode == 0, r.stderr[-2000:]
    log = json.loads(netlog.read_text(encoding="utf-8"))
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    requests = []
    for e in log["events"]:
        p = e.get("params") or {}
        # The browser's own background calls (update checks, clock) have no page origin.
        if types.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p and p.get("initiator") != "not an origin":
            requests.append(p["url"])
    console = [line for line in r.stderr.splitlines() if ":CONSOLE" in line]
    return r.stdout, requests, console


@browser
def test_the_checks_catch_requests_and_errors(tmp_path: Path) -> None:
    """The page checks below are not vacuous: they see a request and a console error when there is one."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">'
                    '<script>console.error("boom")</script></body></html>', encoding="utf-8")
    _, requests, console = load_page(page.as_uri(), tmp_path)
    assert requests == ["http://127.0.0.1:9/x.png"]
    assert any("boom" in line for line in console)


@browser
def test_report_in_headless_chromium(uk, tmp_path: Path) -> None:
    dom, requests, console = load_page(uk["html"].as_uri(), tmp_path / "a")
    assert requests == []
    assert console == []
    head = dom[:dom.index("<head>")]
    assert 'data-report-ready="1"' in head                                # the inline script ran to the end
    assert "data-errors" not in head and "data-blocked-requests" not in head
    maps = hex_maps(dom)
    assert [len(m) for m in maps] == [361, 361]
    assert '<span id="count">361 of 361 councils</span>' in dom

    # the search runs: a link ending in #search=Sheffield opens with one council shown
    dom, requests, console = load_page(uk["html"].as_uri() + "#search=Sheffield", tmp_path / "b")
    assert requests == [] and console == []
    assert '<span id="count">1 of 361 councils</span>' in dom
    shown = re.findall(r'<tr data-code="([^"]+)"(?! style="display: none;")', dom)
    assert shown == ["E08000039"]

    # a screenshot for people to look at
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = SCREENSHOTS / "report-uk-central-vs-high-arrivals.png"
    png.unlink(missing_ok=True)
    r = chromium(["--window-size=1280,3900", f"--screenshot={png}", uk["html"].as_uri()], tmp_path / "c")
    assert r.returncode == 0, r.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 100_000


@browser
def test_regional_report_in_headless_chromium(uk, tmp_path: Path) -> None:
    out = tmp_path / "regions"
    res = CliRunner().invoke(cli, ["report", str(uk["root"] / "central"), "--compare",
                                   str(uk["root"] / "high-arrivals"), "--by-region", "--out", str(out), "-q"])
    assert res.exit_code == 0 and res.output == ""
    for page in ("index.html", "north-west.html"):
        dom, requests, console = load_page((out / page).as_uri(), tmp_path / page)
        assert requests == [] and console == []
        assert 'data-report-ready="1"' in dom[:dom.index("<head>")]
    alloc = uk["plan"].allocations
    n = alloc.loc[alloc["region"] == "North West", "area_code"].nunique()
    assert [len(m) for m in hex_maps(dom)] == [n, n]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = SCREENSHOTS / "report-north-west.png"
    r = chromium(["--window-size=1280,3400", f"--screenshot={png}", (out / "north-west.html").as_uri()],
                 tmp_path / "shot")
    assert r.returncode == 0 and png.exists()


#: A script added to a copy of a report: once laid out, the table of councils that differ most, its right edge and
#: the width it would need, against the box it is in, written into the page (read back with --dump-dom).
LAYOUT_PROBE = ("<script>window.addEventListener('load', () => { const t = document.querySelector('.changes table');"
                " const box = t.parentElement, p = document.createElement('pre'); p.id = 'probe';"
                " p.textContent = JSON.stringify({needs: box.scrollWidth, has: box.clientWidth,"
                " right: t.getBoundingClientRect().right, edge: box.getBoundingClientRect().right});"
                " document.body.appendChild(p); });</script>")


@browser
def test_the_councils_that_differ_most_fit_a_1300_pixel_window(uk, tmp_path: Path) -> None:
    """Trial 6 (P5): at a 1300 px window the table of the councils that differ most (half the width, beside the
    figures that change) scrolled sideways, hiding the "summed" column it is ranked by. Now it has a row of its
    own and its headings wrap: it fits, with nothing to scroll."""
    page = tmp_path / "probe.html"
    page.write_text(uk["html"].read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE + "</body>"),
                    encoding="utf-8")
    r = chromium(["--window-size=1300,900", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                 tmp_path / "profile")
    assert r.returncode == 0, r.stderr[-2000:]
    box = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', r.stdout).group(1))
    assert box["needs"] <= box["has"] and box["right"] <= box["edge"] + 0.5, box


# --------------------------------------------------------------------------- against a re-plan (issue 15, trial 4)
@pytest.fixture(scope="module")
def replanned(tmp_path_factory) -> tuple:
    """The example plan and its re-plan from the example's 31 March 2026 actual: the re-plan covers 2027-2030."""
    plan = solve(load_scenario(REPO / "scenarios" / "example"))
    new = replan(plan, load_scenario(REPO / "scenarios" / "example"),
                 REPO / "scenarios" / "example" / "actual-2026-03-31.csv", "2026-03-31").plan
    return plan, new


def cards(html: str) -> dict[str, str]:
    """Each headline card's title and the rest of its text."""
    found = re.findall(r'<div class="card-title">(.*?)</div>(.*?)</div>\s*</div>', html, flags=re.S)
    return {title: re.sub(r"<[^>]+>", " ", rest) for title, rest in found}


def test_the_cost_against_a_plan_of_other_years_is_over_the_years_both_cover(replanned) -> None:
    """Was: "Total cost over the plan £X 2027–2030, -£Y vs previous", the re-plan's four years against the previous
    plan's five, a saving of the 2026 cost. Now the difference is over 2027–2030, the years both cover."""
    plan, new = replanned
    shared = new.trajectory["total_cost"].sum() - plan.trajectory.query("year >= 2027")["total_cost"].sum()
    html = build_report(new, label="re-plan", compare=plan, compare_label="previous")
    card = " ".join(cards(html)["Total cost over the plan"].split())
    assert f"{fmt(shared, 'money', signed=True)} vs previous over 2027–2030, the years both cover" in card
    assert "2027–2030" in card


def test_the_councils_that_differ_most_show_the_measure_they_are_ranked_by(replanned) -> None:
    """Was: a table headed "end of 2030" ranked by another measure (the difference summed over the years), so a
    council 2 apart at the end came first. Now the sum is shown, named with its years, beside the end figures."""
    plan, new = replanned
    a = plan.allocations.query("year >= 2027").set_index(["area_code", "year"])["stock"]
    b = new.allocations.set_index(["area_code", "year"])["stock"]
    summed = (b - a).abs().groupby(level="area_code").sum().sort_values(ascending=False, kind="stable")
    html = build_report(new, label="re-plan", compare=plan, compare_label="previous")
    assert "Ranked by the difference summed over 2027–2030" in html
    assert "<th class=\"num\">summed, 2027–2030</th>" in html
    names = plan.allocations.drop_duplicates("area_code").set_index("area_code")["area_name"]
    first = re.search(r"summed, 2027–2030</th></tr></thead><tbody>\s*<tr><td>(.*?)</td>(?:<td[^>]*>(.*?)</td>){4}", html)
    assert first.group(1) == names[summed.index[0]] and first.group(2) == fmt(summed.iloc[0], "people")


def drawn(plan, compare, costs: bool = False) -> tuple[dict[str, list[tuple[float, float]]], list[str]]:
    """The points of each line of the people chart (or the cost chart's markers) of plan against compare, by label,
    and the x labels."""
    fig = charts.figure(*CHART_SIZE)
    ax = fig.add_subplot()
    name = "re-plan" if compare.summary.get("replan") else "previous"
    if costs:
        draw_costs(ax, plan, compare, name)
    else:
        draw_people(ax, plan, "re-plan" if plan.summary.get("replan") else "previous", compare, name)
    return ({line.get_label(): list(zip(line.get_xdata(), line.get_ydata()))
             for line in ax.get_lines() if not line.get_label().startswith("_")},
            [t.get_text() for t in ax.get_xticklabels()])


@pytest.mark.parametrize("order", ["re-plan first", "previous first"])
def test_each_plan_is_drawn_at_its_own_dates_against_a_plan_of_other_years(replanned, order) -> None:
    """Trial 6 (N2): against the plan it revises, the re-plan's start (31 Dec 2026) was drawn at the same x as the
    previous plan's (31 Dec 2025), and the previous plan's 2026 point was dropped, so its hotel line fell from its
    start straight to 2027. Now one axis covers both plans' years, each plan at its own dates, in either order."""
    plan, new = replanned
    first, other = (new, plan) if order == "re-plan first" else (plan, new)
    lines, ticks = drawn(first, other)
    assert ticks == ["end 2025", "2026", "2027", "2028", "2029", "2030"]
    hotels_then = plan.trajectory.set_index("year").at[2026, "contingency"]
    start = {who: lines[f"In hotels ({who})"][0] for who in ("previous", "re-plan")}
    assert start["re-plan"][0] - start["previous"][0] == 1                # a year apart, one year step
    assert start["previous"][1] == plan.summary["headline"]["start"]["contingency"]
    assert start["re-plan"][1] == new.summary["headline"]["start"]["contingency"]
    assert lines["In hotels (previous)"][1] == (start["previous"][0] + 1, hotels_then)    # its 2026, drawn
    assert len(lines["In hotels (previous)"]) == 6 and len(lines["In hotels (re-plan)"]) == 5
    html = build_report(first, label="re-plan" if first is new else "previous", compare=other,
                        compare_label="previous" if first is new else "re-plan")
    assert f"<title>In hotels (previous), Now (31 Dec 2025): {fmt(start['previous'][1], 'people')}</title>" in html
    assert f"<title>In hotels (re-plan), Now (31 Dec 2026): {fmt(start['re-plan'][1], 'people')}</title>" in html
    assert f"<title>In hotels (previous), 2026: {fmt(hotels_then, 'people')}</title>" in html
    costs, years = drawn(first, other, costs=True)
    assert years == ["2026", "2027", "2028", "2029", "2030"]              # both plans' years
    if first is new:                                                       # the previous plan's 2026 cost is drawn
        cost = plan.trajectory["total_cost"].iloc[0]
        assert costs["Total cost (previous)"] == [(-0.4, cost), (0.4, cost)]


def test_a_regions_chart_draws_each_plan_at_its_own_dates(replanned) -> None:
    """Trial 6 (N2), a region's page: the previous plan's dispersal in the region at its own dates."""
    plan, new = replanned
    html = build_report(new, label="re-plan", compare=plan, compare_label="previous", region="North")
    codes = plan.allocations.loc[plan.allocations["region"] == "North", "area_code"].unique()
    now = plan.start.set_index("area_code").loc[codes, "stock"].sum()
    then = plan.allocations.query("year == 2026 and area_code in @codes")["stock"].sum()
    assert f"<title>In dispersal (previous), Now (31 Dec 2025): {fmt(now, 'people')}</title>" in html
    assert f"<title>In dispersal (previous), 2026: {fmt(then, 'people')}</title>" in html
    assert "<title>In dispersal in North (re-plan), Now (31 Dec 2026): " in html


# --------------------------------------------------------------------------- one basis (trial 5, a2 and c)
@pytest.fixture(scope="module")
def supported(tmp_path_factory):
    """A plan of one year on the supported basis, where nobody moves (no arrivals, no exits): A holds 100 in
    dispersal and 500 in initial accommodation (600 on the basis) against a limit of 100,000 / 200 = 500; B 100 in
    dispersal; C (the other region) nobody. The national total on the basis is 700 (dispersal 200); the fair shares
    by population (100k, 100k, 300k) are 140, 140 and 420, so R1's is 280 and R2's 420."""
    rows = [area("A", population=100_000, stock=100, capacity=100, initial=500),
            area("B", population=100_000, stock=100, capacity=100, initial=0),
            area("C", population=300_000, region="R2", initial=0)]
    cfg = config([2026], [0], exit_rate=0.0, policy={"pressure_basis": "supported"})
    return solve_rows(tmp_path_factory.mktemp("supported"), cfg, rows)


def section(html: str, name: str) -> str:
    start = html.index(f'<section id="{name}">')
    return html[start:html.index("</section>", start)]


def test_the_fair_share_chart_counts_people_on_the_basis_the_fair_share_is_of(supported) -> None:
    """Was: bars of people in dispersal against a fair share of the total on the supported basis, "71% of fair
    share" for R1 (200 / 280), and a caption saying the fair share is a share of the people in dispersal. Now
    both on the basis: R1 700 / 280 = 250%, its councils A 600 / 140 = 429% and B 100 / 140 = 71%."""
    regions = supported.regions.query("year == 2026").set_index("region")
    assert regions["fair_share"].tolist() == [280, 420] and regions["basis_total"].sum() == 700
    chart = section(build_report(supported), "fair-share")
    assert "Regions at the end of 2026 against their fair share, on the supported basis" in chart
    assert "700 (200 in dispersal) · 250% of fair share · 35.0/10k" in chart              # 700 / 200,000 people
    assert "0 (0 in dispersal) · 0% of fair share · 0.0/10k" in chart
    assert "R1: 700 on the supported basis (fair share 280)" in chart                      # the hover text
    assert "R1 now: 700 on the supported basis" in chart
    assert "71% of fair share" not in chart
    assert ("The bars count the people on the plan's pressure basis (supported: in dispersal, in the area's hotels "
            "and in initial accommodation)") in chart
    assert "share of the national total on that basis that year" in chart
    assert "share of the people in dispersal" not in chart
    council = section(build_report(supported, region="R1"), "fair-share")
    assert "600 (100 in dispersal) · 429% of fair share · 60.0/10k" in council
    assert "100 (100 in dispersal) · 71% of fair share · 10.0/10k" in council
    assert "Area A: 600 on the supported basis (fair share 140)" in council


def test_the_fair_share_chart_of_a_dispersal_plan_counts_dispersal(example_plan) -> None:
    chart = section(build_report(example_plan), "fair-share")
    assert "The bars count the people in dispersal. The fair share is each area's share of the people in dispersal"\
        in chart
    final = example_plan.regions.query("year == 2030").set_index("region")
    north = final.loc["North"]
    assert f"{north['stock']:,} · {north['stock'] / north['fair_share']:.0%} of fair share" in chart
    assert "in dispersal)" not in chart and "basis" not in chart


def test_the_table_of_councils_gives_the_total_on_the_basis_beside_dispersal(supported) -> None:
    """Was: A's row read Now 100, 2026 100 against a limit of 500 and a fair share of 140, as if well under its
    limit, and nothing red: on the basis it judges, the plan starts A at 600, over the limit. Now the totals on the
    basis (now and at the end) are beside dispersal, every heading names its basis and the figures over are red."""
    table = section(build_report(supported), "councils")
    heads = [re.sub(r"<[^>]+>", " ", h).split() for h in re.findall(r"<th [^>]*>(.*?)</th>", table)]
    assert [" ".join(h) for h in heads] == [
        "Council", "Region", "Now dispersal", "2026 dispersal", "Now supported basis", "2026 supported basis",
        "Per 10k 2026, supported basis", "Fair share supported basis", "Limit supported basis", "Change dispersal"]
    row = re.search(r'<tr data-code="A">.*?</tr>', table, flags=re.S).group(0)
    cells = re.findall(r'<td class="num( over)?" data-v="[^"]*">([^<]*)</td>', row)
    assert cells == [(" over", "100"), (" over", "100"), (" over", "600"), (" over", "600"), ("", "60.0"),
                     ("", "140"), ("", "500"), ("", "0")]
    assert "the council's total on the plan's pressure basis (in dispersal, in the area's hotels and in initial " \
           "accommodation), now and at the end of 2026, on which its rate per 10k, fair share and limit" in table


def test_the_table_of_a_dispersal_plan_keeps_its_headings(example_plan) -> None:
    table = section(build_report(example_plan), "councils")
    heads = [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in re.findall(r"<th [^>]*>(.*?)</th>", table)]
    assert heads == ["Council", "Region", "Now", "2026", "2027", "2028", "2029", "2030", "Per 10k 2030", "Fair share",
                     "Limit", "Change"]


def test_a_regions_cards_judge_its_fair_share_and_limit_on_the_basis(supported) -> None:
    """Was: "the plan houses 71% of it" (R1's 200 in dispersal against a fair share of 280 on the basis) and no
    council over the limit now (A's 100 in dispersal against 500). Now 700 on the basis, 250%, and A over now."""
    found = {title: " ".join(rest.split()) for title, rest in cards(build_report(supported, region="R1")).items()}
    assert found["Fair share (supported basis)"] == "280 700 on the supported basis: 250% of it"
    assert found["Councils over the cluster limit (supported basis)"] == "1 now 1"
    chart = section(build_report(supported, region="R1"), "trajectory")          # the region's trajectory
    assert "On the supported basis in R1 (test scenario), 2026: 700" in chart
    assert "Fair share (supported basis), 2026: 280" in chart


def test_the_uk_report_puts_the_north_west_at_203_percent_of_its_fair_share(uk) -> None:
    """Trial 5 (a2): the chart gave the North West 15,764 people in dispersal against a fair share of 7,918 on the
    supported basis, "199% of fair share"; docs/uk-scenario.md, on one basis, 16,066 and 203%."""
    plan = uk["plan"]
    html = uk["html"].read_text(encoding="utf-8")
    nw = plan.regions.query("year == 2029 and region == 'North West'").iloc[0]
    assert plan.regions.query("year == 2029")["fair_share"].sum() == pytest.approx(
        plan.trajectory.set_index("year").at[2029, "basis_total"], abs=0.1)          # a share of 70,897
    chart = section(html, "fair-share")
    assert f"{nw['basis_total']:,} ({nw['stock']:,} in dispersal) · 203% of fair share · 20.8/10k" in chart
    assert f"North West: {nw['basis_total']:,} on the supported basis (fair share {nw['fair_share']:,.0f})" in chart
    assert "199% of fair share" not in chart
    assert "| North West | central | 20,489 | 179% | 16,066 | 203% | 20.8 |" in \
        (REPO / "docs" / "uk-scenario.md").read_text(encoding="utf-8")


def test_the_uk_table_shows_hillingdon_over_its_limit_on_the_basis(uk) -> None:
    """Trial 5 (a2): Hillingdon read Now 158 (dispersal) against a limit of 1,645, under it; on the supported
    basis it starts at 2,054, over (allocator solve says so)."""
    table = section(uk["html"].read_text(encoding="utf-8"), "councils")
    row = re.search(r'<tr data-code="E09000017">.*?</tr>', table, flags=re.S).group(0)
    cells = re.findall(r'<td class="num( over)?" data-v="[^"]*">([^<]*)</td>', row)
    assert cells[0] == (" over", "158") and cells[5] == (" over", "2,054") and cells[9] == ("", "1,645")


def test_the_cost_of_the_final_year_is_a_cost_in_it_not_at_its_end(uk) -> None:
    """Trial 5 (c): "Cost at the end of 2029: £538.8m" read as a position; the figure is the cost of 2029."""
    html = uk["html"].read_text(encoding="utf-8")
    cost = fmt(uk["plan"].trajectory.set_index("year").at[2029, "total_cost"], "money")
    assert f"<li>Cost in 2029: <b>{cost}</b> against" in html and "Cost at the end" not in html
    assert "<li>People in hotels at the end of 2029: <b>0</b>" in html


def test_the_plot_map_colours_the_rate_the_outline_judges(uk) -> None:
    """plan.plot.map() coloured Hillingdon by 4.8 per 10,000 in dispersal while outlining it over its limit on the
    supported basis (62.4 per 10,000); now the colour is the rate on the basis, which the legend names."""
    plan = uk["plan"]
    codes = list(dict.fromkeys(plan.allocations["area_code"]))
    fig = plan.plot.map("now")
    ax = fig.axes[0]
    at = list(layout(codes).centres).index("E09000017")
    assert ax.patches[at].get_facecolor() == matplotlib.colors.to_rgba(rate_colour(62.4))
    assert ax.get_legend().get_title().get_text() == "per 10,000 residents\non the supported basis"
