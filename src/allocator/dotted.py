"""Dotted keys: how one setting of a scenario is named, changed and reported.

``policy.cluster_limit``, ``demand.arrivals.2027`` and ``cohorts.0.exit_rate`` name a
setting in the scenario's YAML by its path. :meth:`allocator.scenario.Scenario.update`
applies them (the one override path: every ``with_*`` method, ``allocator sweep`` and
``allocator solve --set`` go through it); :func:`parse_assignment` reads ``KEY=VALUE``
from the command line, and :func:`given_on_command_line` makes a complaint about an
override name the option and the text given for it; :func:`validation_issues` names each
of pydantic's complaints by the dotted key it is about.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, get_args

import numpy as np
import yaml
from pydantic import BaseModel, ValidationError

from allocator.errors import CommandLineError, Issue, ScenarioError, given_issue
from allocator.inputs import same_key


def set_dotted(data: dict, dotted: str, value: Any, label: str = "overrides") -> None:
    """Set ``a.b.c`` in the nested settings ``data`` (in place).

    A year is one key however it is written (``2029``, ``"2029"``): ``demand.arrivals.2029``
    replaces that year's value, never adds a second one. ``null`` for one year of a by-year
    mapping removes that year. A missing section (``policy.max_growth`` when there is none)
    is created. A wrong path raises :class:`~allocator.errors.ScenarioError` naming the key;
    a typo in the last part is caught by validation, which names it too.
    """
    parts = dotted.split(".")
    node: Any = data
    for part in parts[:-1]:
        node, found = _child(node, part)
        if not found:
            raise ScenarioError(Issue(label, f"unknown key '{dotted}'", field=dotted))
    if isinstance(node, list):
        index = same_key(parts[-1])
        if not isinstance(index, int) or not 0 <= index < len(node):
            raise ScenarioError(Issue(label, f"unknown key '{dotted}' (a list of {len(node)}: "
                                             f"give a position from 0 to {len(node) - 1})", field=dotted))
        node[index] = value
        return
    if not isinstance(node, dict):
        raise ScenarioError(Issue(label, f"unknown key '{dotted}' ('{'.'.join(parts[:-1])}' holds a single "
                                         "value, not settings)", field=dotted))
    key = _key(node, parts[-1])
    if value is None and isinstance(same_key(key), int):
        node.pop(key, None)          # null for one year of a by-year mapping: no value that year
    else:
        node[key] = value


def _key(node: dict, part: str) -> Any:
    """The key of ``node`` that ``part`` names (a year written as text is the year)."""
    wanted = same_key(part)
    return next((k for k in node if same_key(k) == wanted), wanted if isinstance(wanted, int) else part)


def _child(node: Any, part: str) -> tuple[Any, bool]:
    """The setting ``part`` below ``node`` (created empty when it is a missing section), and whether it exists."""
    if isinstance(node, list):
        index = same_key(part)
        return (node[index], True) if isinstance(index, int) and 0 <= index < len(node) else (None, False)
    if not isinstance(node, dict):
        return None, False
    key = _key(node, part)
    if key not in node:
        return None, False
    if node[key] is None:
        node[key] = {}
    return node[key], True


def parse_assignment(text: str, option: str = "--set") -> tuple[str, Any]:
    """``KEY=VALUE`` -> ``(key, value)``, the value read as YAML (``250``, ``l1``, ``null``, ``[a, b]``, ``{k: v}``)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise CommandLineError(given_issue(option, text, "expects KEY=VALUE"))
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem", None) or "not valid YAML"
        raise CommandLineError(given_issue(option, text, f"cannot read '{value}' ({mark})")) from None
    return key, parsed


def parse_assignments(texts: tuple[str, ...] | list[str], option: str = "--set") -> dict[str, Any]:
    """Several ``KEY=VALUE`` -> one dict, in order (the order of ``texts``); a key given twice is refused."""
    out: dict[str, Any] = {}
    for text in texts:
        key, value = parse_assignment(text, option)
        if key in out:
            raise CommandLineError(given_issue(option, text, f"'{key}' is given twice"))
        out[key] = value
    return out


@contextmanager
def given_on_command_line(option: str, texts: Mapping[str, str], label: str) -> Iterator[None]:
    """Make a :class:`ScenarioError` raised inside about overrides labelled ``label`` (the ``source`` of
    :meth:`allocator.scenario.Scenario.update`) the command line's: each of its issues with that label names
    ``option`` and the text given for the key it is about (``texts``: key -> the text of the option), e.g.
    ``option --set 'policy.x=1': unknown key``. Any other error passes unchanged."""
    try:
        yield
    except ScenarioError as err:
        if not any(issue.file == label for issue in err.issues):
            raise
        raise CommandLineError([dataclasses.replace(_given(issue, option, texts), more=issue.more)
                                if issue.file == label else issue for issue in err.issues]) from None


def _given(issue: Issue, option: str, texts: Mapping[str, str]) -> Issue:
    """``issue`` (about an override) as the command line's: the option and the text given for its key; the key
    too when the issue is about another (a key inside it, or a setting it conflicts with)."""
    field = issue.field
    keys = [k for k in texts if field is not None and (field == k or field.startswith(f"{k}.")
                                                       or k.startswith(f"{field}."))]
    if not keys and len(texts) == 1:               # one override given: it is the cause
        keys = list(texts)
    if len(keys) != 1:
        return given_issue(option, None, issue.message, field)
    return given_issue(option, texts[keys[0]], issue.message, None if field == keys[0] else field)


def plain(value: Any) -> Any:
    """``value`` in plain JSON types (numpy numbers become Python numbers, tuples lists): for summary.json."""
    if isinstance(value, Mapping):
        return {plain(k) if not isinstance(k, str) else k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def merge(earlier: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides ``earlier`` then ``later`` as one record that gives the same scenario when applied in order."""
    out = {k: v for k, v in earlier.items() if k not in later}
    out.update({k: plain(v) for k, v in later.items()})
    return out


#: Builtin type names pydantic puts in an error's location to say which type of a union it tried.
_TYPE_TAGS = frozenset({"int", "float", "str", "bool", "list", "dict", "none", "bytes"})


def _union_tag(part: Any) -> bool:
    """Whether a part of an error's location names a union's member type (``literal['a','b']``, ``list[str]``,
    a model's class name), not a key of the scenario (keys are lower-case words, list positions or years)."""
    return isinstance(part, str) and (part in _TYPE_TAGS or "[" in part or part[:1].isupper())


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field's annotation holds (``Protect | None``, ``list[Cohort]``), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for m in map(_model_of, get_args(annotation)) if m is not None), None)


def _siblings(model: type[BaseModel] | None, loc: tuple) -> list[str]:
    """The keys the model allows beside the last part of ``loc`` (an error's location), [] where unknown."""
    for part in loc[:-1]:
        if model is None:
            return []
        if isinstance(part, str) and part in model.model_fields:
            model = _model_of(model.model_fields[part].annotation)
        elif not (isinstance(part, int) or _union_tag(part)):      # a list position or a union's member: same model
            return []
    return list(model.model_fields) if model is not None else []


def validation_issues(err: ValidationError, label: str, model: type[BaseModel] | None = None) -> list[Issue]:
    """Each of pydantic's complaints as an Issue naming its dotted key; the complaints about one key that
    takes one of several types (a union, each member type tried in turn) are one Issue, not one per type.
    With ``model`` (the model validated), an unknown key gets the nearest key it allows there (``unknown key
    (did you mean 'exit_rate'?)``), and a required key it stands for is not said to be missing as well."""
    grouped: dict[str, list[dict]] = {}
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"] if not _union_tag(p)) or "(top level)"
        grouped.setdefault(key, []).append(e)
    meant: set[str] = set()                        # required keys an unknown key is taken to be a misspelling of
    hints: dict[str, str] = {}
    for key, errors in grouped.items():
        e = errors[0]
        if e["type"] == "extra_forbidden" and model is not None:
            close = difflib.get_close_matches(str(e["loc"][-1]), _siblings(model, tuple(e["loc"])), n=1, cutoff=0.7)
            if close:
                hints[key] = close[0]
                meant.add(".".join([*key.split(".")[:-1], close[0]]))
    issues = []
    for key, errors in grouped.items():
        e = errors[0]
        if e["type"] == "missing" and key in meant:
            continue
        if e["type"] == "extra_forbidden":
            msg = (f"unknown key (did you mean '{hints[key]}'?)" if key in hints
                   else "unknown key (check the spelling against docs/scenario-format.md)")
        elif e["type"] == "missing":
            msg = "required key is missing"
        else:
            said = list(dict.fromkeys(str(x["msg"]).removeprefix("Value error, ") for x in errors))
            got = "" if all(x["type"] == "value_error" for x in errors) else f" (got {e.get('input')!r})"  # says it
            msg = "; or ".join(said) + got
        issues.append(Issue(label, msg, field=key))
    return issues
