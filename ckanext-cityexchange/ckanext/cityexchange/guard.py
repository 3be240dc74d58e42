"""The input guard: hostile values become field errors, never a server error.

Every action of the suite is wrapped by :func:`guarded` (each plugin registers its
actions through it), and the ``cityexchange`` plugin applies :func:`problems` to every
HTTP request's path, query, form and JSON body. What it refuses, anywhere:

- NUL characters (PostgreSQL cannot store them; psycopg2 raises on them);
- text longer than ``ckanext.cityexchange.max_value_length`` characters;
- nesting deeper than :data:`MAX_DEPTH` (a JSON bomb).

Type errors (an object where text is expected) are caught by the schemas, with the
shared validators :func:`text` and :func:`identifier`.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

MAX_DEPTH = 32
DEFAULT_MAX_LENGTH = 100_000
MAX_ID_LENGTH = 200
_ID = re.compile(r"^[\w.:~@+-]+$")


def _max_length() -> int:
    try:
        return int(tk.config.get("ckanext.cityexchange.max_value_length") or DEFAULT_MAX_LENGTH)
    except (TypeError, ValueError):
        return DEFAULT_MAX_LENGTH


def _walk(value: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > MAX_DEPTH:
        yield path, "too deeply nested"
        return
    if isinstance(value, str):
        if "\x00" in value:
            yield path, "contains a NUL character"
        elif len(value) > _max_length():
            yield path, tk._("is longer than {limit} characters").format(limit=_max_length())
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if "\x00" in name or len(name) > MAX_ID_LENGTH:
                yield path or "(key)", "has a field name that is not valid"
                continue
            yield from _walk(item, f"{path}.{name}" if path else name, depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]" if path else f"[{index}]", depth + 1)


def id_problems(data_dict: Any) -> dict[str, list[str]]:
    """Field errors for ids that are not ids: every top-level ``id`` or ``*_id`` must be
    short text without white space or control characters, every ``*_ids`` a list of such.
    (Auth functions look objects up by id before any schema runs.)"""
    if not isinstance(data_dict, Mapping):
        return {}
    out: dict[str, list[str]] = {}
    for raw_key, value in data_dict.items():
        key = str(raw_key)
        if key == "id" or key.endswith("_id"):
            values = [value]
        elif key.endswith("_ids") and isinstance(value, (list, tuple)):
            values = list(value)
        else:
            continue
        for item in values:
            if item is None:
                continue
            if (
                not isinstance(item, str)
                or not item
                or len(item) > MAX_ID_LENGTH
                or any(c.isspace() or ord(c) < 32 for c in item)
            ):
                out.setdefault(key, []).append(tk._("Not a valid id"))
                break
    return out


def problems(value: Any) -> dict[str, list[str]]:
    """Field errors for every hostile value in a request or a data dict (empty if none)."""
    out: dict[str, list[str]] = {}
    for path, message in _walk(value, "", 0):
        out.setdefault(path or "(body)", []).append(tk._(message))
    return out


def guarded(action: Callable[..., Any]) -> Callable[..., Any]:
    """An action that answers hostile input with a ValidationError naming the field."""

    @functools.wraps(action)
    def wrapper(context: Context, data_dict: DataDict) -> Any:
        _refuse_hostile(data_dict)
        return action(context, data_dict)

    if getattr(action, "chained_action", False):
        # The chain passes the previous action first; keep that calling convention.
        @functools.wraps(action)
        def chained(next_action: Callable[..., Any], context: Context, data_dict: DataDict) -> Any:
            _refuse_hostile(data_dict)
            return action(next_action, context, data_dict)

        return chained
    return wrapper


def _refuse_hostile(data_dict: Any) -> None:
    found = problems(data_dict or {})
    for key, messages in id_problems(data_dict).items():
        found.setdefault(key, messages)
    if found:
        raise tk.ValidationError({k: [tk._(m) for m in v] for k, v in found.items()})


def guard_all(actions: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Every action of a plugin, guarded: ``@tk.blanket.actions(lambda: guard_all(...))``."""
    return {name: guarded(func) for name, func in actions.items()}


def public_functions(*modules: Any) -> dict[str, Callable[..., Any]]:
    """The functions a blanket would register from modules: their ``__all__``, or every
    public function defined in them."""
    out: dict[str, Callable[..., Any]] = {}
    for module in modules:
        names = getattr(module, "__all__", None) or [
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and inspect.isfunction(value)
            and getattr(value, "__module__", None) == module.__name__
        ]
        out.update({name: getattr(module, name) for name in names})
    return out


# --- shared validators -------------------------------------------------------------------
#
# Each records its field error and stops the field's other validators (core's
# validators after them would raise on the value that was refused: an object, a list).


def validate(data_dict: DataDict, schema: dict[str, Any], context: Context) -> dict[str, Any]:
    """The data cleaned by a navl ``schema``, or a ValidationError with every field's
    errors (the first step of every action of the suite after its access check)."""
    data, errors = tk.navl_validate(data_dict, schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


Validator = Callable[[Any, dict[Any, Any], dict[Any, Any], Any], None]


def _refuse(key: Any, errors: dict[Any, Any], message: str) -> None:
    errors.setdefault(key, []).append(tk._(message))
    raise tk.StopOnError


def _checked(convert: Callable[[Any], Any]) -> Validator:
    """A navl validator from a function that returns the clean value or raises
    ValueError with the message."""

    def validator(key: Any, data: dict[Any, Any], errors: dict[Any, Any], context: Any) -> None:
        value = data.get(key)
        if value is None or value is tk.missing:
            return
        try:
            data[key] = convert(value)
        except ValueError as error:
            _refuse(key, errors, str(error))

    return validator


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("Must be text")
    return value.strip()


def _identifier(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH or not _ID.match(value):
        raise ValueError("Not a valid id")
    return value


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
INT_MAX = 2**31 - 1  # PostgreSQL's integer


def as_bool(value: Any) -> bool:
    """True or false, from a JSON boolean, 0/1 or the usual words; ValueError otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("Must be true or false")


def is_true(value: Any) -> bool:
    """For auth functions, which run before any schema: anything but a clear yes is no."""
    try:
        return as_bool(value)
    except ValueError:
        return False


def _whole(minimum: int, maximum: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        number: Any = value
        if (isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,12}\s*", value)) or (
            isinstance(value, float) and value.is_integer()
        ):
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int):
            raise ValueError("Must be a whole number")
        if not minimum <= number <= maximum:
            raise ValueError(
                tk._("Must be between {minimum} and {maximum}").format(
                    minimum=minimum, maximum=maximum
                )
            )
        return number

    return convert


#: Text, stripped of surrounding white space; anything but text is refused.
text = _checked(_text)
#: An id or a name: short text of letters, digits and ``_ - . : ~ @ +``.
identifier = _checked(_identifier)
#: True or false, from a JSON boolean, 0/1 or the usual words; nothing else.
boolean = _checked(as_bool)


def whole_number(minimum: int = -INT_MAX, maximum: int = INT_MAX) -> Validator:
    """An integer (or its digits as text) between ``minimum`` and ``maximum``."""
    return _checked(_whole(minimum, maximum))


# --- the same rule for every HTTP request ------------------------------------------------

MAX_JSON_BYTES = 10 * 1024 * 1024


def request_problems(req: Any) -> dict[str, list[str]]:
    """Field errors for a Flask request's path, query string, form and JSON body.

    The JSON body is read only for the Action API (``/api/.../action/...``) and only up
    to :data:`MAX_JSON_BYTES`; other routes read their own bodies (a signed webhook must
    see its raw bytes)."""
    found = problems({"path": req.path})
    found.update(problems(req.args.to_dict(flat=False)))
    if req.method in ("POST", "PUT", "PATCH") and req.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        found.update(problems(req.form.to_dict(flat=False)))
    if req.endpoint == "api.action" and req.is_json and (req.content_length or 0) <= MAX_JSON_BYTES:
        body = req.get_json(silent=True)
        if body is not None:
            found.update(problems(body))
    return found
