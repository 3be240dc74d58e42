"""Reading a remote CKAN portal's Action API, anonymously.

No CKAN import: plain HTTP with ``requests``, bounded by a timeout, every failure turned
into a ``RemoteError`` whose text says what went wrong without quoting the response. The
harvester hands in the guarded session of ``ckanext.cityexchange.outbound``: a source
(or a redirect) pointing at a refused address is an error naming the host.
Requests carry no API token on purpose: what an anonymous visitor cannot see (private
datasets, drafts, deleted ones) is never listed, so it can never be imported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from ckanext.cityexchange.net import Refused

USER_AGENT = "ckanext-cityharvest (City Data Exchange)"
PAGE_ROWS = 1000  # CKAN's default ckan.search.rows_max
BATCH = 50  # datasets fetched per search
MAX_BODY = 50 * 1024 * 1024


class RemoteError(Exception):
    """The source could not be read; the message is safe to show to editors."""


@dataclass(frozen=True)
class Listing:
    stamps: dict[str, str]  # remote id -> metadata_modified
    complete: bool  # every page read and the count matched


class CkanPortal:
    def __init__(
        self, base_url: str, timeout: float, session: requests.Session | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def _call(self, action: str, params: dict[str, Any]) -> Any:
        url = f"{self.base_url}/api/3/action/{action}"
        try:
            response = self.session.get(url, params=params, timeout=self.timeout, stream=True)
            body = response.raw.read(MAX_BODY + 1, decode_content=True)
        except Refused as refused:
            raise RemoteError(f"{action}: {refused}") from refused
        except requests.Timeout:
            raise RemoteError(f"{action}: no answer within {self.timeout:g} s") from None
        except (requests.RequestException, OSError) as error:
            raise RemoteError(f"{action}: could not connect ({type(error).__name__})") from error
        if len(body) > MAX_BODY:
            raise RemoteError(f"{action}: the answer is larger than {MAX_BODY // 1024 // 1024} MB")
        if response.status_code in (403, 404):
            raise RemoteError(f"{action}: not found or not public (HTTP {response.status_code})")
        try:
            payload = json.loads(body)
        except ValueError:
            raise RemoteError(
                f"{action}: the answer is not valid JSON (HTTP {response.status_code})"
            ) from None
        if (
            not isinstance(payload, dict)
            or payload.get("success") is not True
            or "result" not in payload
        ):
            raise RemoteError(
                f"{action}: the portal answered without a result (HTTP {response.status_code})"
            )
        return payload["result"]

    def _pages(self, fq: str) -> Iterator[dict[str, Any]]:
        start = 0
        while True:
            result = self._call(
                "package_search",
                {
                    "q": "*:*",
                    "fq": fq,
                    "fl": "id,metadata_modified",
                    "sort": "id asc",
                    "rows": PAGE_ROWS,
                    "start": start,
                    "include_private": "false",
                },
            )
            if not isinstance(result, dict) or not isinstance(result.get("results"), list):
                raise RemoteError("package_search: the answer has no list of results")
            yield result
            start += PAGE_ROWS
            if not result["results"] or start >= int(result.get("count") or 0):
                return

    def listing(self, fq: str = "") -> Listing:
        """Every public dataset's id and modification stamp, in pages of 1000 ids (two
        requests for 2,000 datasets). Raises RemoteError if a page fails."""
        stamps: dict[str, str] = {}
        count = 0
        for page in self._pages(fq or "+dataset_type:dataset"):
            count = int(page.get("count") or 0)
            for row in page["results"]:
                if isinstance(row, dict) and isinstance(row.get("id"), str):
                    stamps[row["id"]] = str(row.get("metadata_modified") or "")
        return Listing(stamps=stamps, complete=len(stamps) == count)

    def datasets(self, remote_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Many datasets in one search (what ``package_show`` returns, read from the
        portal's index): a page of 50 costs the portal far less than 50 shows. Raises
        RemoteError if the page fails; the caller falls back to ``dataset``."""
        quoted = " OR ".join(f'"{i}"' for i in remote_ids if '"' not in i)
        result = self._call(
            "package_search",
            {
                "q": "*:*",
                "fq": f"id:({quoted})",
                "rows": len(remote_ids),
                "include_private": "false",
            },
        )
        rows = result.get("results") if isinstance(result, dict) else None
        if not isinstance(rows, list):
            raise RemoteError("package_search: the answer has no list of results")
        return {
            row["id"]: row for row in rows if isinstance(row, dict) and row.get("id") in remote_ids
        }

    def dataset(self, remote_id: str) -> dict[str, Any]:
        result = self._call("package_show", {"id": remote_id})
        if not isinstance(result, dict) or result.get("id") != remote_id:
            raise RemoteError("package_show: the answer is not the dataset asked for")
        return result
