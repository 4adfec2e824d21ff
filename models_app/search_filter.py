"""MLflow's search-filter and order_by language: a tokenizer and a parser producing clauses.

The grammar MLflow accepts is small: clauses `<key> <comparator> <value>` joined by AND, where a key
is `[<type>.]<name>` (the name may be back- or double-quoted after the dot). This module only parses;
turning clauses into ORM conditions (and checking which keys an entity has) is the selectors' job, so
no SQL is ever built from the string.
"""
import re
from dataclasses import dataclass
from typing import NoReturn

from django.conf import settings

from .exceptions import FilterSyntaxError, FilterTooComplex

# Prefixes MLflow accepts, mapped to the key type they stand for.
KEY_TYPES = {
    "attribute": "attribute", "attributes": "attribute", "attr": "attribute", "run": "attribute",
    "metric": "metric", "metrics": "metric",
    "param": "param", "params": "param", "parameter": "param", "parameters": "param",
    "tag": "tag", "tags": "tag",
    "dataset": "dataset", "datasets": "dataset",
}
_TOKEN_PATTERN = re.compile(
    r"""(?P<space>\s+)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<backquoted>`[^`]*`)
      | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<op>!=|>=|<=|=|<|>)
      | (?P<lparen>\()
      | (?P<rparen>\))
      | (?P<comma>,)
      | (?P<word>[A-Za-z_][\w.]*)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL", "ASC", "DESC"}


@dataclass(frozen=True)
class Token:
    kind: str  # space-free kinds of _TOKEN_PATTERN, or "keyword"
    text: str
    start: int
    end: int

    @property
    def unquoted(self) -> str:
        return self.text[1:-1]


@dataclass(frozen=True)
class Clause:
    """One `<key> <comparator> <value>` condition. `value` is a str, an int/float, or a tuple of str (IN)."""

    key_type: str
    key: str
    comparator: str
    value: object


# Comparators that test whether a key is there at all; they take no value.
PRESENCE_COMPARATORS = ("IS NULL", "IS NOT NULL")


@dataclass(frozen=True)
class OrderClause:
    key_type: str
    key: str
    ascending: bool


@dataclass(frozen=True)
class FilterLimits:
    """How much filter one search may carry (settings SEARCH_FILTER_MAX_CLAUSES and SEARCH_FILTER_MAX_LENGTH).

    Each clause on a metric, param or tag is an EXISTS subquery, and PostgreSQL's planning time grows faster
    than the clause count: 100 `metrics.a > 0` clauses took 4.5 s and 200 held a worker past gunicorn's
    timeout. Ordinary searches use a handful; the limits refuse the rest before any query runs.
    """

    max_clauses: int
    max_length: int

    @classmethod
    def current(cls) -> "FilterLimits":
        return cls(settings.SEARCH_FILTER_MAX_CLAUSES, settings.SEARCH_FILTER_MAX_LENGTH)

    def check_length(self, text: str) -> None:
        if len(text) > self.max_length:
            raise FilterTooComplex(f"The filter is {len(text)} characters long; at most {self.max_length} are "
                                   "accepted (SEARCH_FILTER_MAX_LENGTH).")

    def check_clauses(self, count: int, what: str = "clauses joined by AND") -> None:
        if count > self.max_clauses:
            raise FilterTooComplex(f"The search has more than {self.max_clauses} {what}; at most "
                                   f"{self.max_clauses} are accepted (SEARCH_FILTER_MAX_CLAUSES). Use fewer, "
                                   "more selective clauses.")


def tokenize(text: str, *, fail) -> list[Token]:
    """Split `text` into tokens; `fail(problem)` raises the caller's error for a character it cannot read."""
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN_PATTERN.match(text, position)
        if match is None:
            fail(_unreadable(text, position))
        kind = match.lastgroup
        if kind != "space":
            word = match.group()
            kind = "keyword" if kind == "word" and word.upper() in _KEYWORDS else kind
            tokens.append(Token(kind, word, match.start(), match.end()))
        position = match.end()
    return tokens


def _unreadable(text: str, position: int) -> str:
    char = text[position]
    if char in "'\"`":
        return f"unclosed quote {char} at position {position}"
    return (f"unexpected character '{char}' at position {position} "
            "(put keys with special characters in backquotes, e.g. tags.`my-key`)")


class _Cursor:
    """Walks a token list, raising FilterSyntaxError that quotes the whole input."""

    def __init__(self, text: str, what: str):
        self.text, self.what, self.index = text, what, 0
        self.tokens = tokenize(text, fail=self.fail)

    def fail(self, problem: str) -> NoReturn:
        raise FilterSyntaxError(f"Invalid {self.what} '{self.text}': {problem}")

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token | None:
        token = self.peek()
        self.index += token is not None
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "keyword" and token.text.upper() in words


def parse_filter(filter_string: str | None) -> list[Clause]:
    """Parse an MLflow filter string into clauses; an empty filter has none."""
    if filter_string is not None and not isinstance(filter_string, str):
        raise FilterSyntaxError(f"Invalid filter {filter_string!r}: the filter must be a string")
    if not filter_string or not filter_string.strip():
        return []
    limits = FilterLimits.current()
    limits.check_length(filter_string)
    cursor = _Cursor(filter_string, "filter")
    clauses = [_parse_clause(cursor)]
    while (token := cursor.take()) is not None:
        limits.check_clauses(len(clauses) + 1)
        if token.kind == "keyword" and token.text.upper() == "OR":
            cursor.fail("OR is not supported; join clauses with AND")
        if not (token.kind == "keyword" and token.text.upper() == "AND"):
            cursor.fail(f"expected AND between clauses, got '{token.text}'")
        if cursor.peek() is None:
            cursor.fail("expected a clause after AND")
        clauses.append(_parse_clause(cursor))
    return clauses


def _parse_clause(cursor: _Cursor) -> Clause:
    key_type, key = _parse_key(cursor)
    comparator = _parse_comparator(cursor, key)
    if comparator in PRESENCE_COMPARATORS:
        value = None
    elif comparator in ("IN", "NOT IN"):
        value = _parse_value_list(cursor, comparator)
    else:
        value = _parse_value(cursor, comparator)
    return Clause(key_type, key, comparator, value)


def _parse_key(cursor: _Cursor) -> tuple[str, str]:
    token = cursor.take()
    if token is None:
        cursor.fail("expected a key")
    if token.kind in ("string", "backquoted"):
        cursor.fail(f"expected a key, got the quoted value {token.text}; quote only the name after the prefix, "
                    "e.g. tags.`my key`")
    if token.kind != "word":
        cursor.fail(f"expected a key, got '{token.text}'")
    if not token.text.endswith("."):
        return _split_key(cursor, token.text)
    quoted = cursor.peek()
    if quoted is None or quoted.kind not in ("string", "backquoted") or quoted.start != token.end:
        cursor.fail(f"missing key name after '{token.text}'")
    cursor.take()
    key_type = KEY_TYPES.get(token.text[:-1].lower())
    if key_type is None or "." in token.text[:-1]:
        _fail_prefix(cursor, token.text[:-1])
    return key_type, quoted.unquoted


def _split_key(cursor: _Cursor, word: str) -> tuple[str, str]:
    if "." not in word:
        return "attribute", word
    prefix, name = word.split(".", 1)
    key_type = KEY_TYPES.get(prefix.lower())
    if key_type is None:
        _fail_prefix(cursor, prefix)
    return key_type, name


def _fail_prefix(cursor: _Cursor, prefix: str) -> NoReturn:
    cursor.fail(f"invalid key type '{prefix}'; valid prefixes are attributes, metrics, params, tags, datasets")


def _parse_comparator(cursor: _Cursor, key: str) -> str:
    token = cursor.take()
    if token is None:
        cursor.fail(f"missing comparator after '{key}'")
    if token.kind == "op":
        return token.text
    word = token.text.upper() if token.kind == "keyword" else ""
    if word in ("LIKE", "ILIKE", "IN"):
        return word
    if word == "NOT" and cursor.at_keyword("IN"):
        cursor.take()
        return "NOT IN"
    if word == "IS":
        negated = cursor.at_keyword("NOT") and bool(cursor.take())
        if cursor.at_keyword("NULL"):
            cursor.take()
            return "IS NOT NULL" if negated else "IS NULL"
        cursor.fail(f"expected NULL or NOT NULL after '{key} IS'")
    if word == "NOT":
        cursor.fail(f"unsupported comparator '{token.text} ...' after '{key}'; use =, !=, LIKE, ILIKE, IN, NOT IN, "
                    "IS NULL or IS NOT NULL")
    cursor.fail(f"expected a comparator after '{key}', got '{token.text}'")


def _parse_value(cursor: _Cursor, comparator: str):
    token = cursor.take()
    if token is None:
        cursor.fail(f"missing value after '{comparator}'")
    if token.kind == "string":
        return token.unquoted
    if token.kind == "number":
        return _number(token.text)
    if token.kind in ("word", "keyword", "backquoted"):
        cursor.fail("string values must be quoted")
    cursor.fail(f"expected a value after '{comparator}', got '{token.text}'")


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _parse_value_list(cursor: _Cursor, comparator: str) -> tuple[str, ...]:
    token = cursor.take()
    if token is None or token.kind != "lparen":
        cursor.fail(f"{comparator} needs a parenthesised list of quoted strings, e.g. ('a', 'b')")
    values = []
    while True:
        token = cursor.take()
        if token is None or token.kind != "string":
            found = "the end of the filter" if token is None else f"'{token.text}'"
            cursor.fail(f"values in {comparator} (...) must be quoted strings, got {found}")
        values.append(token.unquoted)
        token = cursor.take()
        if token is not None and token.kind == "rparen":
            return tuple(values)
        if token is None or token.kind != "comma":
            cursor.fail(f"unclosed list after {comparator}: expected ',' or ')'")


def parse_order_by(clause: str) -> OrderClause:
    """Parse one order_by entry: `<key> [ASC|DESC]`."""
    if not isinstance(clause, str) or not clause.strip():
        raise FilterSyntaxError(f"Invalid order_by clause '{clause or ''}': expected '<key> [ASC|DESC]'")
    cursor = _Cursor(clause, "order_by clause")
    key_type, key = _parse_key(cursor)
    ascending = True
    if cursor.at_keyword("ASC", "DESC"):
        ascending = cursor.take().text.upper() == "ASC"
    if (extra := cursor.peek()) is not None:
        cursor.fail(f"unexpected '{extra.text}' after the key; expected ASC or DESC")
    return OrderClause(key_type, key, ascending)
