"""How names are compared: two names that look alike to a person are the same name to the registry.

Model names, policy patterns and reserved tag keys are compared after NFKC normalisation (full-width
and compatibility forms fold to their plain letters), case folding, removal of invisible format
characters (zero-width spaces and joiners, bidi marks) and trimming of surrounding whitespace, with
inner runs of whitespace collapsed to one space.
"""
import re
import unicodedata

_WHITESPACE_RUN = re.compile(r"\s+")


def name_normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    visible = "".join(char for char in folded if unicodedata.category(char) != "Cf")
    # Folding case can leave text that NFKC changes again: normalise twice so the result is stable.
    return _WHITESPACE_RUN.sub(" ", unicodedata.normalize("NFKC", visible)).strip()
