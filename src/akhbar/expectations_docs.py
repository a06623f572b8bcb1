"""GX Data Docs (HTML) for a validation run, rendered from the folded results.

Why folded results: ``validate`` runs each suite on many batches; rendering one page per
batch would bury a failure among hundreds of pages. Here each suite gets one
``ExpectationSuiteValidationResult`` whose expectation results carry the totals and
example ids of ``validation.json``, stored in the ephemeral context's in-memory store and
rendered by GX's own site builder into ``folder``. The suites themselves are added to the
context's suite store, with their parameters replaced by the values this run used, so the
index's links to the expectation pages resolve and thresholds show as numbers (not
``{'$PARAMETER': ...}``). Checks done with pyarrow (Arrow types,
shard names, stats.json) have no GX expectation to render; they are in
``validation.json`` and the summary only. The pages carry the run time (GX shows it), so
unlike ``validation.json`` they are not byte-stable and are not a DVC metric.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

SITE = "akhbar"


def _resolve(value: Any, parameters: dict[str, Any]) -> Any:
    """``value`` with every ``{"$PARAMETER": name}`` replaced by the run's value (as
    JSON-friendly data: timestamps as ISO text)."""
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            got = parameters.get(value["$PARAMETER"])
            return got.isoformat() if hasattr(got, "isoformat") else got
        return {k: _resolve(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, parameters) for v in value]
    return value


def resolved_suites(suites: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Copies of ``suites`` whose thresholds are the values of this run."""
    import great_expectations as gx

    out = {}
    for name, suite in suites.items():
        d = _resolve(suite.to_json_dict(), parameters)
        d.pop("id", None)
        for e in d.get("expectations", []):
            e.pop("id", None)
        out[name] = gx.ExpectationSuite(**d)
    return out


def build_data_docs(context: Any, folder: Path, report: dict[str, Any],
                    suites: dict[str, Any], parameters: dict[str, Any] | None = None) -> Path:
    """Render ``report`` (the content of ``validation.json``) as a Data Docs site."""
    from great_expectations.core import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)  # a stale page of an earlier run must not survive
    if SITE in (context.get_config().data_docs_sites or {}):
        context.delete_data_docs_site(SITE)
    context.add_data_docs_site(site_name=SITE, site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(folder)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    store = context.validation_results_store
    for key in store.list_keys():  # the context is reused: drop earlier runs' results
        store.remove_key(key)
    suites = resolved_suites(suites, parameters or {})
    for name, suite in suites.items():  # the expectation pages the index links to
        if context.suites.all() and name in {s.name for s in context.suites.all()}:
            context.suites.delete(name)
        context.suites.add(suite)
    run_id = RunIdentifier(run_name="akhbar-validate", run_time=dt.datetime.now(dt.UTC))
    for name, body in report["suites"].items():
        configs = {e.meta.get("check"): e.configuration for e in suites[name].expectations}
        results = [
            ExpectationValidationResult(
                success=check["success"], expectation_config=configs[check["check"]],
                result=_result(check, configs[check["check"]]))
            for check in body["expectations"] if check["check"] in configs
        ]
        passed = sum(r.success for r in results)
        result = ExpectationSuiteValidationResult(
            success=all(r.success for r in results), suite_name=name, results=results,
            statistics={"evaluated_expectations": len(results),
                        "successful_expectations": passed,
                        "unsuccessful_expectations": len(results) - passed,
                        "success_percent": 100.0 * passed / len(results) if results else 100.0},
            meta={"run_id": run_id, "batch_spec": {"data_asset_name": "dataset"}})
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
            run_id=run_id, batch_identifier="dataset")
        store.set(key, result)
    context.build_data_docs(site_names=[SITE])
    _repair_static_links(folder)
    return folder / "index.html"


_LINK = re.compile(r'((?:href|src)=")((?:\.\./)+)(static/[^"#]+)"')


def _repair_static_links(folder: Path) -> None:
    """GX writes validation pages one folder deeper than the ``../`` prefix it gives their
    links to ``static/`` (the favicon): point each such link at the site's own
    ``static/`` folder so the site has no broken link."""
    for page in folder.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        up = "../" * (len(page.relative_to(folder).parts) - 1)

        def fix(m: re.Match[str], up: str = up) -> str:
            return f'{m.group(1)}{up}{m.group(3)}"'

        fixed = _LINK.sub(fix, html)
        if fixed != html:
            page.write_text(fixed, encoding="utf-8")


def _result(check: dict[str, Any], config: Any) -> dict[str, Any]:
    """A GX result dict from a folded check; table-level expectations (no column) need an
    ``observed_value``: the expected list when it held, else the offending files.
    ``element_count`` counts the rows the check saw, nulls included; nulls are not
    tallied apart, so the percentages are of all rows."""
    n, bad = check["element_count"], check["unexpected_count"]
    percent = 100.0 * bad / n if n else 0.0
    out: dict[str, Any] = {"element_count": n, "missing_count": 0, "missing_percent": 0.0,
                           "unexpected_count": bad, "unexpected_percent": percent,
                           "unexpected_percent_nonmissing": percent,
                           "partial_unexpected_list": check["examples"]}
    if "column_list" in config.kwargs:
        out["observed_value"] = (config.kwargs["column_list"] if check["success"]
                                 else check["examples"])
    return out
