"""Background jobs in the tests: the jobs a test queued, found by their titles among the
other tests' (the worker does not run during the tests), and run in the test's process
as the worker would (rq's own ``perform``)."""

from __future__ import annotations

from typing import Any

from ckan import model
from ckan.lib import jobs as ckan_jobs


def jobs_titled(titles: set[str]) -> list[Any]:
    """The queued jobs with one of these titles."""
    return [job for job in ckan_jobs.get_queue().jobs if job.meta.get("title") in titles]


def perform(titles: set[str]) -> int:
    """Run the queued jobs with these titles, and take them off the queue. Returns how
    many ran."""
    queue = ckan_jobs.get_queue()
    done = 0
    for job in jobs_titled(titles):
        job.perform()
        queue.remove(job)
        done += 1
    model.Session.expire_all()
    return done


def forget(titles: set[str]) -> None:
    """Take the queued jobs with these titles off the queue, unrun."""
    for job in jobs_titled(titles):
        job.delete()


def xloader_title(package_id: str, resource_id: str) -> str:
    """The title ckanext-xloader gives the job that loads a resource."""
    return f"xloader_submit: package: {package_id} resource: {resource_id}"
