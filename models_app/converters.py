"""Path converters for numbers in URLs: ids and version numbers.

Django's `int` converter takes any run of digits, so `/versions/0/` reached a view that refuses it and
`/…/99999999999999999999/` reached the database, which cannot hold it (both were 500s); DRF routers
took any text (`/review-requests/AAA/`). These converters match only numbers the database can hold:
a path with anything else simply does not match, and the caller gets a 404 that says so.
"""
from django.urls import register_converter

BIGINT_MAX = 2**63 - 1  # PostgreSQL bigint: primary keys and experiment ids
INTEGER_MAX = 2**31 - 1  # PostgreSQL integer: version numbers


class _BoundedNumber:
    minimum = 1
    maximum = BIGINT_MAX

    def to_python(self, value: str) -> int:
        number = int(value)
        if not self.minimum <= number <= self.maximum:
            raise ValueError(f"{number} is out of range")  # a ValueError makes the pattern not match
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class IdConverter(_BoundedNumber):
    """A database id: 1 … 2**63-1."""

    regex = "[0-9]{1,19}"


class ExperimentIdConverter(_BoundedNumber):
    """An experiment id: 0 (the Default experiment) … 2**63-1."""

    regex = "[0-9]{1,19}"
    minimum = 0


class VersionConverter(_BoundedNumber):
    """A model version number: 1 … 2**31-1."""

    regex = "[0-9]{1,10}"
    maximum = INTEGER_MAX


register_converter(IdConverter, "id")
register_converter(ExperimentIdConverter, "experiment_id")
register_converter(VersionConverter, "version")
