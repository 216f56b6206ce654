"""Which site covers a case: the longest matching postcode prefix wins; 2A/2B name Corsica's departments."""

from __future__ import annotations

import re
from collections.abc import Iterable

from relais_campaigns.domain.model import Site

PREFIX_PATTERN = r"^(\d{1,5}|2A|2B)$"
DEPARTMENT_CODES = frozenset({"2A", "2B"})
_PREFIX = re.compile(PREFIX_PATTERN)


def is_valid_prefix(prefix: str) -> bool:
    """1 to 5 digits of a postcode, or a Corsican department code (2A, 2B)."""
    return bool(_PREFIX.match(prefix))


def match_strength(prefix: str, *, postcode: str | None, department: str) -> tuple[int, int] | None:
    """How specifically `prefix` covers a case, or None when it does not.

    A department code beats a 2-digit prefix ("2A" is narrower than "20") and loses to 3 digits.
    Without a postcode (phone-only case) a digit prefix matches when it is a prefix of the department.
    """
    if prefix in DEPARTMENT_CODES:
        return (2, 1) if department == prefix else None
    target = postcode if postcode else department
    return (len(prefix), 0) if target.startswith(prefix) else None


def site_for_postcode(postcode: str | None, department: str, sites: Iterable[Site]) -> Site | None:
    """The site whose prefix covers the case most specifically (ties: smallest site_id); None = unrouted."""
    best: tuple[tuple[int, int], str, Site] | None = None
    for site in sites:
        strengths = [s for p in site.postcode_prefixes
                     if (s := match_strength(p, postcode=postcode, department=department)) is not None]
        if not strengths:
            continue
        candidate = (max(strengths), site.site_id, site)
        if best is None or candidate[0] > best[0] or (candidate[0] == best[0] and candidate[1] < best[1]):
            best = candidate
    return best[2] if best else None


def site_covers(site: Site, *, postcode: str | None, department: str) -> bool:
    """True when any prefix of `site` matches the case."""
    return any(match_strength(p, postcode=postcode, department=department) is not None
               for p in site.postcode_prefixes)


class PostcodeRouter:
    """`site_for_postcode` over a fixed set of sites, with dictionary look-ups instead of a scan of every
    prefix (built once per batch of cases)."""

    def __init__(self, sites: Iterable[Site]) -> None:
        self._by_prefix: dict[str, Site] = {}
        for site in sorted(sites, key=lambda s: s.site_id, reverse=True):  # the smallest site_id wins a tie
            for prefix in site.postcode_prefixes:
                self._by_prefix[prefix] = site
        self._lengths = sorted({len(p) for p in self._by_prefix if p not in DEPARTMENT_CODES}, reverse=True)

    def site_for(self, postcode: str | None, department: str) -> Site | None:
        """The site whose prefix covers the case most specifically (ties: smallest site_id); None = unrouted."""
        target = postcode if postcode else department
        best: tuple[tuple[int, int], str, Site] | None = None
        for length in self._lengths:  # the longest digit prefix first
            site = self._by_prefix.get(target[:length]) if length <= len(target) else None
            if site is not None and target[:length] not in DEPARTMENT_CODES:
                best = ((length, 0), site.site_id, site)
                break
        corsica = self._by_prefix.get(department) if department in DEPARTMENT_CODES else None
        if corsica is not None and (best is None or (2, 1) > best[0]):
            best = ((2, 1), corsica.site_id, corsica)
        return best[2] if best else None
