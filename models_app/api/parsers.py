"""The native API's JSON parser: DRF's, reading through the one checked JSON reader (models_app/json_input.py)."""
from rest_framework.parsers import JSONParser

from ..json_input import json_loads_checked


class CheckedJSONParser(JSONParser):
    """Refuses deep nesting, lone surrogates and NUL characters with a 400 (INVALID_PARAMETER_VALUE), as DRF
    would refuse a syntax error; like DRF's own parser it refuses the bare NaN/Infinity constants."""

    def parse(self, stream, media_type=None, parser_context=None):
        return json_loads_checked(stream.read(), allow_constants=False)
