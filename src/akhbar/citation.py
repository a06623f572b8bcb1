"""How a build is cited: BibTeX for the card, ``CITATION.cff`` for the repository.

Both are generated from two things only: the ``card`` section of the parameters (who,
what licence, where) and the content version of the build
(:func:`akhbar.versions.content_version`: the release number for a released build,
``<last release>+<12 hex of the fingerprint>`` for anything else). So two builds with
different bytes never share a citation, and the same bytes always get the same one.

``CITATION.cff`` follows Citation File Format 1.2.0 and is checked with cffconvert's
validator in the tests (the reference type of a data set is ``data``; ``dataset`` is
only valid as the top-level ``type``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

NOT_STATED = "not stated"

#: Hub licence ids whose SPDX spelling is not simply the upper-cased id.
_SPDX = {"apache-2.0": "Apache-2.0", "mit": "MIT", "odc-by": "ODC-By-1.0",
         "cc0-1.0": "CC0-1.0", "odbl": "ODbL-1.0", "pddl": "PDDL-1.0",
         "gpl-3.0": "GPL-3.0-only", "bsd-3-clause": "BSD-3-Clause"}
#: Hub ids that name no licence (SPDX has none for them).
_NO_SPDX = {"unknown", "other"}


def spdx_license(hub_id: str | None) -> str | None:
    """SPDX spelling of a Hub licence id (CITATION.cff wants SPDX); None when unknown."""
    if not hub_id or hub_id in _NO_SPDX:
        return None
    return _SPDX.get(hub_id, hub_id.upper())


def url(card: Mapping[str, Any]) -> str | None:
    """Where the data set can be found: homepage, else repository, else its Hub page."""
    if card.get("homepage"):
        return str(card["homepage"])
    if card.get("repository"):
        return str(card["repository"])
    if card.get("hub_repo"):
        return f"https://huggingface.co/datasets/{card['hub_repo']}"
    return None


def title(card: Mapping[str, Any]) -> str:
    return str(card.get("pretty_name") or "Untitled Arabic news corpus (built with Akhbar)")


def authors(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """CFF authors from ``card.authors`` (None values dropped); empty when not stated."""
    return [{k: v for k, v in dict(a).items() if v} for a in card.get("authors") or []]


def author_names(card: Mapping[str, Any]) -> str:
    names = [a.get("name") or " ".join(x for x in (a.get("given-names"),
                                                   a.get("family-names")) if x)
             for a in authors(card)]
    return ", ".join(n for n in names if n) or NOT_STATED


def _bibtex_name(author: Mapping[str, Any]) -> str:
    """``{Entity Name}`` (braced: not split into first/last) or ``Family, Given``."""
    if author.get("name"):
        return f"{{{author['name']}}}"
    return ", ".join(x for x in (author.get("family-names"), author.get("given-names")) if x)


def citation_key(card: Mapping[str, Any], version: str) -> str:
    base = card.get("citation_key") or "akhbar_build"
    return f"{base}_{re.sub(r'[^0-9A-Za-z]+', '_', version)}"


def bibtex(card: Mapping[str, Any], version: str, fp: str | None = None,
           released: bool = False) -> str:
    """A BibTeX ``@misc`` entry for this build: title, curators, version, URL, year of the
    release (none for an unreleased build) and the content fingerprint."""
    fields = [("title", f"{{{title(card)}}}")]
    people = " and ".join(_bibtex_name(a) for a in authors(card))
    if people:
        fields.append(("author", people))
    if released and card.get("date"):
        fields.append(("year", str(card["date"])[:4]))
    fields.append(("version", version))
    link = url(card)
    if link:
        fields += [("url", link), ("howpublished", f"\\url{{{link}}}")]
    note = f"Version {version}"
    if fp:
        note += f", content fingerprint {fp}"
    fields.append(("note", note))
    body = ",\n".join(f"  {k:<12} = {{{v}}}" for k, v in fields)
    return f"@misc{{{citation_key(card, version)},\n{body}\n}}"


def citation(card: Mapping[str, Any], version: str, released: bool) -> dict[str, Any]:
    """The ``CITATION.cff`` content (CFF 1.2.0). ``date-released`` only for a release."""
    people = authors(card) or [{"name": NOT_STATED}]
    ref: dict[str, Any] = {"type": "data", "title": title(card),
                           "authors": [dict(a) for a in people], "version": version}
    top: dict[str, Any] = {
        "cff-version": "1.2.0",
        "message": "If you use this dataset, please cite it using these metadata.",
        "type": "dataset", "title": ref["title"], "version": version,
        "authors": [dict(a) for a in people],  # copies: no YAML anchors in the file
    }
    if released and card.get("date"):
        top["date-released"] = ref["date-released"] = str(card["date"])
        ref["year"] = int(str(card["date"])[:4])
    licence = spdx_license(card.get("license"))
    if licence:
        top["license"] = ref["license"] = licence
    if url(card):
        top["url"] = ref["url"] = url(card)
    if card.get("repository"):
        top["repository-code"] = ref["repository-code"] = card["repository"]
    if card.get("description"):
        top["abstract"] = " ".join(str(card["description"]).split())
    if card.get("keywords"):
        top["keywords"] = list(card["keywords"])
    top["preferred-citation"] = ref
    return top


def citation_text(card: Mapping[str, Any], version: str, released: bool) -> str:
    """``CITATION.cff`` as text (stable key order, UTF-8)."""
    header = ("# Generated by akhbar.card from the card section of the parameters and the\n"
              "# content version of the build; edit card.yaml, not this file.\n")
    return header + yaml.safe_dump(citation(card, version, released), sort_keys=False,
                                   allow_unicode=True, width=100)


def write_citation(path: Path, card: Mapping[str, Any], version: str,
                   released: bool) -> Path:
    path = Path(path)
    path.write_text(citation_text(card, version, released), encoding="utf-8")
    return path
