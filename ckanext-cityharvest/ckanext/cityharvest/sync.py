"""What a harvest run has to do, from what the source lists and what was harvested.

Pure rules, no CKAN import. A source's listing maps each public remote dataset to a
version stamp (its ``metadata_modified`` on a CKAN portal, ``dct:modified`` or a hash of
its content in a DCAT catalog); the records map what this catalog holds from the source
to the stamp it was imported with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Plan:
    new: list[str] = field(default_factory=list)  # at the source, never imported
    changed: list[str] = field(default_factory=list)  # imported, changed at the source since
    unchanged: list[str] = field(default_factory=list)  # imported with the stamp the source lists
    withdrawn: list[str] = field(default_factory=list)  # imported, no longer public at the source

    @property
    def work(self) -> int:
        return len(self.new) + len(self.changed) + len(self.withdrawn)


def plan(listed: Mapping[str, str], imported: Mapping[str, str], *, complete: bool) -> Plan:
    """Compare the listing with the records.

    A changed stamp counts as a change whichever way it moved (a restored backup goes
    back in time). Withdrawals are only planned from a ``complete`` listing: a listing
    cut short by a timeout or a bad page must never withdraw what it did not reach.
    """
    result = Plan()
    for remote_id in sorted(listed):
        stamp = imported.get(remote_id)
        if stamp is None:
            result.new.append(remote_id)
        elif stamp != listed[remote_id]:
            result.changed.append(remote_id)
        else:
            result.unchanged.append(remote_id)
    if complete:
        result.withdrawn.extend(sorted(set(imported) - set(listed)))
    return result
