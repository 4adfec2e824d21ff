"""JSON request bodies the registry can hold: bounded nesting, no lone surrogates, no NUL characters.

Python's parser accepts all three, and each failed later: 100,000 nested `[` raised RecursionError while
the value was walked, a lone surrogate (`"\\udcff"`) cannot be encoded for the database, and PostgreSQL
text cannot contain NUL. One reader refuses them up front, with a message naming the problem and where
it is; the MLflow API and the native API's parser both use it.
"""
import json
import re

from django.conf import settings

from .exceptions import InvalidParameter

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def json_loads_checked(raw: bytes | str, *, allow_constants: bool) -> object:
    """Parse a request body; `allow_constants` accepts the bare NaN/Infinity that MLflow clients send."""
    limit = settings.REQUEST_JSON_MAX_DEPTH
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=None if allow_constants else _refuse_constant)
    except RecursionError:
        raise InvalidParameter(f"The request body is nested too deeply; at most {limit} levels are accepted.") from None
    except UnicodeDecodeError as error:
        raise InvalidParameter(f"The request body is not UTF-8: byte {error.start} cannot be decoded.") from None
    except ValueError as error:
        raise InvalidParameter(f"The request body is not valid JSON: {error}.") from None
    _check_value(value, limit)
    return value


def text_problem(text: str) -> str:
    """Why `text` cannot be stored ('' when it can): a NUL character or a lone surrogate, and where."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return ""
    char = found.group()
    what = "a NUL character (\\u0000)" if char == "\x00" else f"a lone surrogate (\\u{ord(char):04x})"
    return f"{what} at position {found.start()}"


def _check_value(value: object, limit: int) -> None:
    # Iterative, so a body that parsed but is deep still cannot exhaust the stack here.
    pending = [(value, 1, "body")]
    while pending:
        item, depth, where = pending.pop()
        if isinstance(item, dict | list) and depth > limit:
            raise InvalidParameter(f"The request body is nested too deeply at {where}; at most {limit} levels "
                                   "are accepted.")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, f"{where} key {key[:40]!r}")
                pending.append((child, depth + 1, f"{where}.{key[:40]}"))
        elif isinstance(item, list):
            pending.extend((child, depth + 1, f"{where}[{index}]") for index, child in enumerate(item))
        elif isinstance(item, str):
            _check_text(item, where)


def _check_text(text: str, where: str) -> None:
    if problem := text_problem(text):
        raise InvalidParameter(f"The request body cannot be stored: {where} contains {problem}.")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")
