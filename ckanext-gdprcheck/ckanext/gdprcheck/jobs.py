"""The scan job: runs in the CKAN worker (RQ on Redis), never in a web request.

Whatever a file holds (binary, a wrong encoding, ragged rows, one endless line, nothing),
the job ends with a stored result or a stored error; it never raises. Raw values are
never stored or logged: only detectors, columns, counts and masked examples.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from typing import IO, Any, cast

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.cityexchange import outbound
from ckanext.gdprcheck import holds, scanner
from ckanext.gdprcheck.helpers import gdprcheck_detector_label as detector_label
from ckanext.gdprcheck.model import Hold, Sample, Scan

log = logging.getLogger(__name__)


def format_of(resource: dict[str, Any]) -> str | None:
    """The scanner format of a resource, from its format field or its URL's extension."""
    for candidate in (
        (resource.get("format") or "").lower(),
        os.path.splitext((resource.get("url") or "").split("?")[0])[1].lower().lstrip("."),
    ):
        if candidate in scanner.FORMATS:
            return candidate
    return None


def fingerprint(url: Any, last_modified: Any, size: Any, url_type: Any) -> str:
    """What a scan of a resource reads: URL, modification time, size, upload or link."""
    return "|".join(str(v or "") for v in (url, last_modified, size, url_type))


def source_of(resource_id: str) -> str | None:
    """What a scan of the resource reads, from its stored row (the same whichever action
    or dictization touched it)."""
    row = model.Resource.get(resource_id)
    if row is None:
        return None
    return fingerprint(row.url, row.last_modified, row.size, row.url_type)


def enqueue(resource_id: str, *, force: bool = False) -> bool:
    """Queue a scan when the resource is a scannable file whose URL or upload changed
    since its last scan."""
    row = model.Resource.get(resource_id)
    if row is None or format_of({"format": row.format, "url": row.url}) is None:
        return False
    if not force:
        previous = model.Session.query(Scan.source).filter(Scan.resource_id == resource_id).scalar()
        if previous is not None and previous == source_of(resource_id):
            return False
    tk.enqueue_job(
        scan_resource,
        [resource_id],
        {"force": force},
        title=f"gdprcheck scan {resource_id}",
        rq_kwargs={"timeout": 3600},
    )
    return True


def scan_in_request(resource_id: str) -> dict[str, Any] | None:
    """Scan a small upload now, in the request that stored it (after its commit), so that
    a small publication is available at once; None when it is left to the worker."""
    row = model.Resource.get(resource_id)
    limit = tk.config.get("ckanext.gdprcheck.scan_in_request_max_bytes")
    if (
        row is None
        or row.url_type != "upload"
        or not limit
        or format_of({"format": row.format, "url": row.url}) is None
    ):
        return None
    from ckan.lib.uploader import get_resource_uploader

    try:
        size = os.path.getsize(
            get_resource_uploader({"id": row.id, "url_type": "upload"}).get_path(row.id)
        )
    except OSError:
        return None
    if size > limit:
        return None
    return scan_resource(resource_id)


def _open(resource: dict[str, Any], timeout: Any = 60) -> IO[bytes]:
    if resource.get("url_type") == "upload":
        from ckan.lib.uploader import get_resource_uploader

        return open(get_resource_uploader(resource).get_path(resource["id"]), "rb")
    # A publisher wrote the URL: only public addresses (or the allow-list), each redirect
    # hop checked; a refused one raises outbound.Refused.
    response = outbound.session().get(resource["url"], stream=True, timeout=timeout)
    response.raise_for_status()
    response.raw.decode_content = True
    return cast(IO[bytes], response.raw)


class _Head:
    """The first ``limit`` bytes of a stream."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream, self.left = stream, limit

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        want = self.left if size is None or size < 0 else min(size, self.left)
        data = self.stream.read(want)
        self.left -= len(data)
        return data


def _read(
    resource: dict[str, Any], fmt: str, limit: int | None = None, timeout: Any = 60
) -> tuple[scanner.Result, str, str | None, bool]:
    """Scan a resource's file (its first ``limit`` bytes, if given): the result, the
    state (done, skipped or error), a message, and whether the file went on past the
    limit. A bad file or address is a state, never an exception."""
    result, truncated = scanner.Result(), False
    try:
        with _open(resource, timeout) as stream:
            if limit is None:
                result = scanner.scan(stream, fmt)
            else:
                head = _Head(stream, limit)
                result = scanner.scan(head, fmt)  # type: ignore[arg-type]
                truncated = head.left <= 0 and bool(stream.read(1))
    except outbound.Refused as refused:
        log.warning("gdprcheck: reading resource %s refused: %s", resource["id"], refused)
        return result, "error", f"the file's address is not fetched from: {refused}", False
    except Exception as error:
        log.warning(
            "gdprcheck: reading resource %s failed: %s", resource["id"], type(error).__name__
        )
        return result, "error", f"could not read the file ({type(error).__name__})", False
    if result.skipped:
        return result, "skipped", result.skipped, truncated
    return result, "done", None, truncated


def scan_resource(resource_id: str, force: bool = False) -> dict[str, Any]:
    """Scan one resource and store what was found; reindex its dataset (the checklist
    status in search results takes the findings into account). A file already scanned
    as it is now (in the request that uploaded it) is not scanned again unless
    ``force``."""
    site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    if not force:
        current = model.Session.get(Scan, resource_id)
        if (
            current is not None
            and current.state != "error"
            and current.source == source_of(resource_id)
        ):
            return dict(current.dictize(), held=[])
    try:
        resource = tk.get_action("resource_show")(
            {"user": site, "ignore_auth": True}, {"id": resource_id}
        )
    except tk.ObjectNotFound:
        return {"resource_id": resource_id, "state": "gone"}
    fmt = format_of(resource)
    started = time.perf_counter()
    message: str | None
    if fmt is None:
        result, state, message = scanner.Result(), "skipped", "not a CSV, TSV, XLSX or JSON file"
    else:
        result, state, message, _truncated = _read(resource, fmt)
    row = model.Session.get(Scan, resource_id) or Scan(resource_id=resource_id)
    row.package_id = resource["package_id"]
    row.state, row.message = state, message
    row.findings = [f.as_dict() for f in result.findings]
    row.detected = sorted(result.detected)
    row.bytes_scanned, row.rows, row.encoding = result.bytes_scanned, result.rows, result.encoding
    row.seconds = round(time.perf_counter() - started, 3)
    row.source = source_of(resource_id)
    row.updated = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    model.Session.add(row)
    model.repo.commit()
    result_dict = row.dictize()
    # Quarantine: a finding that contradicts the checklist of a public or for-sale
    # dataset withholds the file now (and a clean scan of a replaced file releases it).
    pkg = tk.get_action("package_show")(
        {"user": site, "ignore_auth": True, "use_cache": False}, {"id": resource["package_id"]}
    )
    new, _released = holds.reconcile(pkg, cause="scan")
    model.repo.commit()
    holds.reindex(resource["package_id"])
    holds.after_holding(resource["package_id"], new)
    return dict(result_dict, held=[h.resource_id for h in new])


def after_holding_job(package_id: str, hold_ids: list[str]) -> dict[str, Any]:
    """What follows holds made by a dataset update, once it has committed (see
    ``holds.after_commit_holding``): the holds still active among ``hold_ids``."""
    active = (
        model.Session.query(Hold).filter(Hold.id.in_(hold_ids), Hold.released_at.is_(None)).all()
        if hold_ids
        else []
    )
    holds.after_holding(package_id, active)
    model.repo.commit()
    return {"package_id": package_id, "holds": [h.id for h in active]}


def _found(detected: Any) -> str:
    return ", ".join(detector_label(d) for d in detected or [])


def notify_hold(hold_id: str) -> dict[str, Any]:
    """Tell the publisher's editors that a file is held (an e-mail each; the dashboard
    shows the same notice). Never raises for a missing mail server: it is logged."""
    hold = model.Session.get(Hold, hold_id)
    if hold is None:
        return {"hold_id": hold_id, "sent": [], "failed": []}
    pkg = model.Package.get(hold.package_id)
    title = (pkg.title or pkg.name) if pkg is not None else hold.package_id
    # No request in the worker: the link is built from the site URL.
    link = "{}/dataset/{}".format(
        tk.config.get("ckan.site_url").rstrip("/"), pkg.name if pkg is not None else hold.package_id
    )
    subject = tk._('A file of "{title}" is held for review').format(title=title)
    body = tk._(
        'The personal-data scan found {found} in a file of the dataset "{title}", whose GDPR '
        "checklist does not declare personal data. The file is withheld from everyone but your "
        "organisation's editors until you correct the checklist or replace the file; sales of the "
        "dataset are paused.\n\n{link}"
    ).format(found=_found(hold.detected), title=title, link=link)
    return dict(_mail(holds.editors_of(hold.package_id), subject, body), hold_id=hold_id)


def _mail(users: Any, subject: str, body: str) -> dict[str, list[str]]:
    """E-mail each user who has an address; who was sent it and who could not be (no
    mail server, say: logged, never raised)."""
    from ckan.lib import mailer

    sent, failed = [], []
    for user in users:
        if not user.email:
            continue
        try:
            mailer.mail_user(user, subject, body)
            sent.append(user.name)
        except mailer.MailerException as error:
            log.warning("gdprcheck: %r to %s not sent: %s", subject, user.name, error)
            failed.append(user.name)
    return {"sent": sent, "failed": failed}


# --- Harvested files: a sample, for the operator ------------------------------------------
#
# A harvested dataset's checklist is declared by its source portal, and its files stay on
# the source's servers. The first megabytes of its CSV and JSON files are scanned all the
# same, in the background; what is found goes to the harvest status page and to the
# sysadmins (the operator), never to the publishing gate: nothing is held.

SAMPLED_FORMATS = ("csv", "tsv", "txt", "json", "geojson")


def enqueue_sample(resource_id: str) -> bool:
    """Queue a sample scan of a harvested CSV or JSON file whose address or size changed
    since its last sample."""
    limit = int(tk.config.get("ckanext.gdprcheck.harvest_sample_bytes") or 0)
    if limit <= 0:
        return False
    row = model.Resource.get(resource_id)
    if row is None or format_of({"format": row.format, "url": row.url}) not in SAMPLED_FORMATS:
        return False
    previous = model.Session.query(Sample.source).filter(Sample.resource_id == resource_id).scalar()
    if previous is not None and previous == source_of(resource_id):
        return False
    tk.enqueue_job(
        sample_resource,
        [resource_id],
        {"limit": limit},
        title=f"gdprcheck sample {resource_id}",
        rq_kwargs={"timeout": 600},
    )
    return True


def sample_resource(resource_id: str, limit: int | None = None) -> dict[str, Any]:
    """Scan the first ``limit`` bytes (``ckanext.gdprcheck.harvest_sample_bytes`` when the
    job was queued) of a harvested file and store what was found; tell the sysadmins
    when personal data is found for the first time in this file. Never raises for a bad
    file or address."""
    row = model.Resource.get(resource_id)
    if row is None or row.state != "active":
        return {"resource_id": resource_id, "state": "gone"}
    resource = {"id": row.id, "url": row.url, "format": row.format, "url_type": row.url_type}
    if limit is None:
        limit = int(tk.config.get("ckanext.gdprcheck.harvest_sample_bytes") or 0)
    fmt = format_of(resource)
    message: str | None
    if fmt not in SAMPLED_FORMATS:
        result, state, message, truncated = (
            scanner.Result(),
            "skipped",
            "not a CSV, TSV or JSON file",
            False,
        )
    else:
        result, state, message, truncated = _read(resource, fmt, limit, timeout=(10, 30))
    sample = model.Session.get(Sample, resource_id) or Sample(resource_id=resource_id)
    before = set(sample.detected or [])
    sample.package_id = row.package_id
    sample.state, sample.message, sample.truncated = state, message, truncated
    sample.findings = [f.as_dict() for f in result.findings]
    sample.detected = sorted(result.detected)
    sample.bytes_scanned, sample.rows = result.bytes_scanned, result.rows
    sample.source = source_of(resource_id)
    sample.updated = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    model.Session.add(sample)
    model.repo.commit()
    out = sample.dictize()
    if set(out["detected"]) - before:
        out["notified"] = notify_sample(out)
    return out


def notify_sample(sample: dict[str, Any]) -> dict[str, list[str]]:
    """E-mail the sysadmins (the operator) that a harvested file holds personal data."""
    pkg = model.Package.get(sample["package_id"])
    title = (pkg.title or pkg.name) if pkg is not None else sample["package_id"]
    site = tk.config.get("ckan.site_url").rstrip("/")
    subject = tk._('Personal data in a harvested file of "{title}"').format(title=title)
    body = tk._(
        'The personal-data scan of a sample of a harvested file of the dataset "{title}" found '
        "{found}. The file is published by the source portal; nothing is withheld here. Consider "
        "telling the source's publisher.\n\n{link}"
    ).format(title=title, found=_found(sample["detected"]), link=f"{site}/harvest-status")
    return _mail(
        model.Session.query(model.User).filter(
            model.User.sysadmin.is_(True), model.User.state == "active"
        ),
        subject,
        body,
    )
