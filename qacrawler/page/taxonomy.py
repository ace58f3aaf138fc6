"""One shipped table of department names (every site, every language) -> canonical specialty ids."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib import resources


def _key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"\bdepartment( of)?\b", " ", text)
    return re.sub(r"[\s\u3000]+", "", text)


@cache
def _table() -> dict[str, str]:
    data = json.loads(resources.files("qacrawler.page").joinpath("data/specialties.json").read_text("utf-8"))
    return {_key(name): specialty for specialty, names in data["specialties"].items() for name in names}


def specialty_for(department: str | None) -> str | None:
    """Null for an unknown or missing department; the taxonomy pipeline counts those by name."""
    if not department:
        return None
    return _table().get(_key(department))
