"""``ckan cityharvest ...``: load the declared sources, run them, show their status.
The commands only call actions."""

from __future__ import annotations

import sys
import time
from typing import Any

import ckan.plugins.toolkit as tk
import click
import yaml

from ckanext.cityexchange.context import site_context

__all__ = ["cityharvest"]


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


@click.group(short_help="Harvest other portals into the catalog")
def cityharvest() -> None:
    """Commands of the cityharvest plugin."""


@cityharvest.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def load(path: str | None) -> None:
    """Create or update the harvest sources declared in a YAML file (default:
    ckanext.cityharvest.sources_file)."""
    path = path or tk.config.get("ckanext.cityharvest.sources_file")
    if not path:
        _fail("no file given and ckanext.cityharvest.sources_file is not set")
    try:
        with open(path, encoding="utf-8") as handle:
            declared = yaml.safe_load(handle) or {}
    except OSError as error:
        _fail(f"{path}: {error.strerror}")
    except yaml.YAMLError as error:
        _fail(f"{path} is not valid YAML: {error}")
    try:
        declared = declared if isinstance(declared, dict) else {}
        result = tk.get_action("cityharvest_source_load")(
            site_context(),
            {"sources": declared.get("sources"), "organization": declared.get("organization")},
        )
    except tk.ValidationError as error:
        _fail(f"{path}: " + "; ".join(str(e) for msgs in error.error_dict.values() for e in msgs))
    for outcome in ("created", "updated", "unchanged"):
        for name in result[outcome]:
            click.echo(f"{outcome:9} {name}")


def _progress_printer() -> Any:
    bar: Any = None
    shown = 0

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar, shown
        if stage == "gather":
            click.echo("  listing the source's datasets ...", err=True)
            return
        if bar is None:
            bar = click.progressbar(
                length=total,
                label="  fetching and importing",
                show_pos=True,
                show_eta=True,
                file=click.get_text_stream("stderr"),
            )
            bar.__enter__()
        bar.update(done - shown)
        shown = done
        if done == total:
            bar.__exit__(None, None, None)

    return progress


@cityharvest.command()
@click.argument("sources", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every active source.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Import every listed dataset again, changed or not (after a mapping change).",
)
def run(sources: tuple[str, ...], run_all: bool, refresh: bool) -> None:
    """Run harvest sources now, in this process, with progress (scheduled runs go
    through the harvest queues). Exits non-zero if a run had errors."""
    if run_all:
        sources = tuple(
            s["name"] for s in tk.get_action("cityharvest_source_summary")(site_context(), {})
        )
    if not sources:
        _fail("name the sources to run, or --all")
    failed = False
    for name in sources:
        click.echo(f"{name}:")
        context = dict(site_context(), **{"cityharvest.progress": _progress_printer()})
        started = time.monotonic()
        try:
            result = tk.get_action("cityharvest_source_run")(
                context, {"id": name, "refresh": refresh}
            )
        except (tk.ObjectNotFound, tk.ValidationError) as error:
            click.secho(f"  {getattr(error, 'error_dict', None) or error}", fg="red", err=True)
            failed = True
            continue
        counts = result["counts"]
        click.echo(
            "  {added} added, {updated} updated, {withdrawn} withdrawn, {unchanged} unchanged, "
            "{shared} shared with another source, {errors} errors in {seconds:.1f} s".format(
                seconds=time.monotonic() - started, **counts
            )
        )
        for message in result["gather_errors"]:
            click.secho(f"  error: {message}", fg="red", err=True)
        failed = failed or bool(result["gather_errors"] or counts["errors"])
    sys.exit(1 if failed else 0)


@cityharvest.command()
def status() -> None:
    """Each source's last run, counts and datasets held."""
    for source in tk.get_action("cityharvest_source_summary")(site_context(), {"errors": 5}):
        last = source["last_run"] or {}
        counts = last.get("counts") or {}
        click.echo(
            f"{source['name']} ({source['type']}, {source['frequency']}): {source['datasets']} datasets, "
            f"last run {last.get('status', 'never')} {last.get('finished') or ''} "
            + " ".join(f"{k}={v}" for k, v in counts.items())
        )
        for error in last.get("errors") or []:
            click.echo(f"  {error['stage']}: {error['message']}")
        for licence in source["unmapped_licences"]:
            click.echo(f"  unmapped licence {licence['licence']!r}: {licence['count']} datasets")


@cityharvest.command()
def matches() -> None:
    """Pairs of datasets that may be one dataset from two sources, to decide on."""
    for pair in tk.get_action("cityharvest_match_list")(site_context(), {}):
        click.echo(
            f"{pair['id']}  {pair['dataset']['name']}  may be  {pair['candidate']['name']}"
            f"  ({pair['source_title']})"
        )


@cityharvest.command()
@click.argument("pair")
@click.argument("decision", type=click.Choice(["merge", "apart"]))
def decide(pair: str, decision: str) -> None:
    """Merge a pair listed by ``matches`` or keep it apart."""
    try:
        tk.get_action("cityharvest_match_decide")(
            site_context(), {"id": pair, "decision": decision}
        )
    except tk.ObjectNotFound as error:
        _fail(str(error))
    except tk.ValidationError as error:
        _fail("; ".join(str(e) for msgs in error.error_dict.values() for e in msgs))
    click.echo(f"{decision}: {pair}")


@cityharvest.command("merge-duplicates")
@click.option("--dry-run", is_flag=True, help="Only say what would be merged.")
def merge_duplicates(dry_run: bool) -> None:
    """Merge datasets harvested twice (from two sources, before copies were recognised);
    the old names lead to the datasets kept. Uncertain pairs are listed by ``matches``."""
    result = tk.get_action("cityharvest_duplicates_merge")(site_context(), {"dry_run": dry_run})
    for pair in result["merged"]:
        click.echo(f"{'would merge' if dry_run else 'merged'} {pair['from']} into {pair['into']}")
    click.echo(
        f"{len(result['merged'])} {'to merge' if dry_run else 'merged'}, "
        f"{result['uncertain']} uncertain pairs listed"
    )
