"""Print the mutation score per module from the last ``mutmut run`` (run from the repository root).

Used by ``make mutation``. A mutant counts as killed when a test failed (``killed``) or the tests
ran past mutmut's time limit (``timeout``: the mutant made the code hang). Everything else that
was not killed (``survived``, ``no tests``, ``suspicious``, ...) counts against the score.
Exits 1 when a module scores below ``--min`` (default 80%).
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

LINE = re.compile(r"^\s*allocator\.(?P<module>\w+)\.\S+__mutmut_\d+: (?P<status>.+?)\s*$")
KILLED = {"killed", "timeout"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min", type=float, default=80.0, help="lowest acceptable score per module, in percent")
    args = parser.parse_args()
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run([str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            counts[m["module"]][m["status"]] += 1
    if not counts:
        print("no mutmut results found: run `mutmut run` first", file=sys.stderr)
        return 1
    print(f"{'module':<10} {'killed':>7} {'timeout':>8} {'survived':>9} {'other':>6} {'total':>6} {'score':>7}")
    low = False
    grand = collections.Counter()
    for module in sorted(counts):
        c = counts[module]
        grand.update(c)
        total = sum(c.values())
        score = 100 * sum(c[s] for s in KILLED) / total
        other = total - c["killed"] - c["timeout"] - c["survived"]
        print(f"{module:<10} {c['killed']:>7} {c['timeout']:>8} {c['survived']:>9} {other:>6} {total:>6} {score:>6.1f}%")
        low |= score < args.min
    total = sum(grand.values())
    score = 100 * sum(grand[s] for s in KILLED) / total
    other = total - grand["killed"] - grand["timeout"] - grand["survived"]
    print(f"{'all':<10} {grand['killed']:>7} {grand['timeout']:>8} {grand['survived']:>9} {other:>6} {total:>6} {score:>6.1f}%")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
