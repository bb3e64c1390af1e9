"""A probe's results for people and for CI systems: JUnit XML and one self-contained HTML page.

Every string a server sent (close reasons, payloads) reaches these files escaped by the XML and HTML
libraries, never pasted in, so a hostile server cannot inject markup into a report.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from wiretool.probe.case import FAILED, NON_STRICT, UNIMPLEMENTED, CaseResult
from wiretool.probe.runner import by_family, counts

COLOURS = {"OK": "#3c763d", "NON-STRICT": "#8a6d3b", "FAILED": "#a94442", "INFORMATIONAL": "#31708f",
           "UNIMPLEMENTED": "#777777"}


def junit(results: Sequence[CaseResult], *, suite: str, target: str, strict: bool = False) -> str:
    """JUnit XML: one testcase per case, FAILED (and NON-STRICT under ``--strict``) as failures."""
    c = counts(results)
    failures = sum(1 for r in results if r.failed(strict))
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(results)), failures=str(failures),
                       errors="0", skipped=str(c.get(UNIMPLEMENTED, 0)),
                       time=f"{sum(r.duration for r in results):.3f}")
    ET.SubElement(ET.SubElement(ts, "properties"), "property", name="target", value=target)
    for r in results:
        tc = ET.SubElement(ts, "testcase", classname=f"{suite}.{r.family}", name=f"{r.id} {r.description}",
                           time=f"{r.duration:.3f}")
        if r.failed(strict):
            failure = ET.SubElement(tc, "failure", message=r.reason, type=r.verdict)
            failure.text = f"Expectation: {r.expectation}\nRule: {r.rfc}\nObserved: {json.dumps(r.observed)}"
        elif r.verdict == UNIMPLEMENTED:
            ET.SubElement(tc, "skipped", message=r.reason)
        elif r.verdict == NON_STRICT:
            out = ET.SubElement(tc, "system-out")
            out.text = f"NON-STRICT: {r.reason}"
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def html_report(results: Sequence[CaseResult], *, title: str, target: str) -> str:
    """One HTML page, no external resources: the summary per family, then every case with what was seen."""
    e = html.escape
    c = counts(results)
    rows = []
    for fam, fc in by_family(results).items():
        cells = "".join(f"<td>{fc[v]}</td>" for v in c)
        rows.append(f"<tr><th>{e(fam)}</th>{cells}</tr>")
    cases = []
    for r in results:
        colour = COLOURS.get(r.verdict, "#000")
        cases.append(
            f"<tr id='case-{e(r.id)}'><td>{e(r.id)}</td><td style='color:{colour};font-weight:bold'>{e(r.verdict)}"
            f"</td><td>{e(r.description)}<div class='exp'>{e(r.expectation)}</div><div class='rfc'>{e(r.rfc)}</div>"
            f"</td><td>{e(r.reason)}<details><summary>observed</summary><pre>"
            f"{e(json.dumps(r.observed, indent=1))}</pre></details></td><td>{r.duration * 1000:.0f} ms</td></tr>")
    heads = "".join(f"<th>{e(v)}</th>" for v in c)
    totals = "".join(f"<td>{n}</td>" for n in c.values())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:2em}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}}.exp{{color:#555}}
.rfc{{color:#777;font-size:12px}}pre{{white-space:pre-wrap;max-width:60em}}</style></head><body>
<h1>{e(title)}</h1><p>Target: <code>{e(target)}</code> &middot; {len(results)} cases &middot;
{c.get(FAILED, 0)} FAILED</p>
<table><tr><th>family</th>{heads}</tr>{''.join(rows)}<tr><th>all</th>{totals}</tr></table>
<table><tr><th>case</th><th>verdict</th><th>what was sent, what the spec expects</th><th>what happened</th>
<th>time</th></tr>{''.join(cases)}</table></body></html>
"""
