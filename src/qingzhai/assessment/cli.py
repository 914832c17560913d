"""`qingzhai assess …`: import evidence, run and show assessments, find shell companies, write reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from qingzhai import clock
from qingzhai.assessment import service
from qingzhai.assessment.graph import RegistryGraph
from qingzhai.assessment.report import render_html
from qingzhai.assessment.rules import AssessmentSettings
from qingzhai.assessment.schemas import AssessmentRead, AssessmentVersionRead, RunRead
from qingzhai.assessment.shells import ShellReport, detect_for_debtor
from qingzhai.assessment.sources import SOURCE_NAMES
from qingzhai.cli_support import console, handle_errors, operator, parse_date, print_json, transaction
from qingzhai.core.errors import FileRefused, NotFound, RuleViolation
from qingzhai.i18n import _
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage

app = typer.Typer(help="Debtor assessment (债务评估): evidence, 12 indicators, shell companies.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SEVERITY_STYLE = {"high": "red", "medium": "yellow", "low": "cyan"}


def _settings(text: str | None) -> AssessmentSettings:
    if not text:
        return AssessmentSettings()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise RuleViolation("is not valid JSON", field="settings") from None
    if not isinstance(data, dict):
        raise RuleViolation("must be a JSON object", field="settings")
    return AssessmentSettings.from_dict(data)


@app.command("import")
@handle_errors
def import_(
    source: Annotated[str, typer.Argument(help="Source: " + ", ".join(SOURCE_NAMES) + ".")],
    file: Annotated[Path, typer.Argument(help="JSON file (bank: CSV) in the documented format.")],
    as_json: JsonOpt = False,
) -> None:
    """Import evidence from a provider file. Re-importing the same file changes nothing."""
    if source not in SOURCE_NAMES:
        raise RuleViolation("one of " + ", ".join(SOURCE_NAMES), field="source")
    if not file.is_file():
        raise FileRefused(f"no file '{file}'", field="file")
    with transaction() as session:
        report = service.import_file(session, source=source, data=file.read_bytes(), filename=file.name,
                                     actor=operator(), now=clock.now())
    if as_json:
        print_json(report.to_dict())
        return
    table = Table(_("Records"), _("Added"), _("Updated"), _("Unchanged"), _("Rejected"),
                  title=_("Evidence imported: {source}", source=source))
    table.add_row(str(report.records), str(report.added), str(report.updated), str(report.unchanged), str(len(report.rejected)))
    console.print(table)
    if source == "registry":
        console.print(_("{n} shell findings stored.", n=report.findings))
    for reject in report.rejected[:20]:
        console.print(f"[red]{reject['at']}[/red] {reject['field']}: {reject['reason']}", highlight=False)


@app.command("run")
@handle_errors
def run(
    case_id: Annotated[str | None, typer.Argument(help="Case number (QZ-…) or id.")] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="Every case in the assessment stage.")] = False,
    settings: Annotated[str | None, typer.Option(help="Setting overrides as JSON.")] = None,
    move: Annotated[bool, typer.Option(help="Move complete-enough cases to planning.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Assess one case or every case in the assessment stage (a new version when anything changed)."""
    if (case_id is None) == (not all_cases):
        raise RuleViolation("give a CASE_ID or --all (not both)", field="case_id")
    chosen = _settings(settings)
    actor = operator()
    with transaction() as session:
        if all_cases:
            cases, _total = registry.list_cases(session, actor=actor, stage=Stage.assessment, limit=10_000_000)
        else:
            cases = [registry.get_case(session, case_id or "", actor=actor)]
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console, transient=True, disable=as_json) as progress:
            task = progress.add_task(_("Assessing"), total=len(cases))
            results = service.assess_cases(session, list(cases), actor=actor, now=clock.now(), settings=chosen, move=move,
                                           progress=lambda n: progress.advance(task, n))
    views = [RunRead(case_number=r.case_number, version=r.version, new_version=r.new_version,
                     moved_to_planning=r.moved_to_planning, grade=r.summary.grade, completeness=r.summary.completeness,
                     fake_debt_risk=r.summary.fake_debt_risk, red_flags=r.red_flags) for r in results]
    if as_json:
        print_json(views)
        return
    table = Table(_("Case"), _("Version"), _("Grade"), _("Completeness"), _("Fake-debt risk"), _("Red flags"),
                  _("To planning"), title=_("Assessments"))
    for v in views[:50]:
        table.add_row(f"QZ-{v.case_number}", f"{v.version}{'' if v.new_version else ' (=)'}", v.grade,
                      f"{v.completeness:.0%}", _(v.fake_debt_risk), str(v.red_flags), _("yes") if v.moved_to_planning else "")
    console.print(table)
    console.print(_("{n} cases assessed, {moved} moved to planning.", n=len(views),
                    moved=sum(v.moved_to_planning for v in views)))


@app.command("show")
@handle_errors
def show(
    case_id: Annotated[str, typer.Argument(help="Case number (QZ-…) or id.")],
    version: Annotated[int | None, typer.Option(help="An earlier version (default: the latest).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a case's assessment: grade, summary, the 12 indicators and the red flags."""
    with transaction() as session:
        case = registry.get_case(session, case_id, actor=operator())
        row = service.get_version(session, case, version) if version else service.latest(session, case)
        if row is None:
            raise NotFound(f"case {case_id} has not been assessed", field="case_id")
        view = AssessmentRead.of(row, case.number)
    if as_json:
        print_json(view)
        return
    render(view)


def render(view: AssessmentRead) -> None:
    s = view.summary
    disp = s.get("disposable_income")
    console.print(_("Case QZ-{n}, version {v}: grade {g}, completeness {c:.0%}, fake-debt risk {r}.", n=view.case_number,
                    v=view.version, g=view.grade, c=view.completeness, r=_(s["fake_debt_risk"])))
    if disp:
        console.print(_("Disposable income {amount} {currency} a month ({low} to {high}).", amount=disp["amount"],
                        currency=disp["currency"], low=s["disposable_income_low"]["amount"],
                        high=s["disposable_income_high"]["amount"]))
    table = Table(_("Indicator"), _("Status"), _("Score"), _("Confidence"), _("Finding"), title=_("Indicators"))
    for i in view.indicators:
        table.add_row(_(i.key), _(i.status), "" if i.score is None else str(i.score), f"{i.confidence:.2f}",
                      i.findings[0] if i.findings else "")
    console.print(table)
    if view.red_flags:
        flags = Table(_("Severity"), _("Red flag"), title=_("Red flags"))
        for r in view.red_flags:
            flags.add_row(f"[{SEVERITY_STYLE.get(r.severity, 'white')}]{_(r.severity)}[/]", r.finding)
        console.print(flags)


@app.command("history")
@handle_errors
def history(case_id: Annotated[str, typer.Argument(help="Case number (QZ-…) or id.")], as_json: JsonOpt = False) -> None:
    """Every version of a case's assessment."""
    with transaction() as session:
        case = registry.get_case(session, case_id, actor=operator())
        rows = [AssessmentVersionRead.model_validate(r, from_attributes=True) for r in service.history(session, case)]
    if as_json:
        print_json(rows)
        return
    table = Table(_("Version"), _("Assessed at"), _("Grade"), _("Completeness"), _("Fake-debt risk"), _("By"))
    for r in rows:
        table.add_row(str(r.version), r.assessed_at.isoformat(timespec="minutes"), r.grade, f"{r.completeness:.0%}",
                      _(r.fake_debt_risk), r.actor_name)
    console.print(table)


def render_shells(report: ShellReport) -> None:
    console.print(_("{name}: {reached} nodes within reach, {companies} companies tied, {n} findings.",
                    name=report.debtor["name"], reached=report.reached, companies=report.companies_tied,
                    n=len(report.findings)))
    table = Table(_("Rank"), _("Strength"), _("Kind"), _("Explanation"), _("Path"), title=_("Shell findings"))
    for rank, f in enumerate(report.findings, start=1):
        path = " → ".join(f"{p['name']}" + (f" [{p['via']}]" if p.get("via") else "") for p in f.path)
        table.add_row(str(rank), f"{f.strength:.2f}", _(f.kind), f.explanation, path)
    console.print(table)


@app.command("shells")
@handle_errors
def shells(
    registry_file: Annotated[Path, typer.Option("--registry", help="Registry graph JSON file.")],
    debtor: Annotated[str, typer.Option(help="Debtor id from the file's `debtors` (or a person/company id).")],
    default_date: Annotated[str | None, typer.Option(help="Default date (YYYY-MM-DD), overrides the file's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Find shell companies and asset transfers around one debtor, ranked, each with its proving path."""
    if not registry_file.is_file():
        raise FileRefused(f"no file '{registry_file}'", field="registry")
    try:
        document = json.loads(registry_file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FileRefused("the registry file is not UTF-8 JSON", field="registry") from None
    graph = RegistryGraph.from_document(document)
    report = detect_for_debtor(graph, debtor, default_date=parse_date(default_date, "default_date") if default_date else None)
    if as_json:
        print_json(report.to_dict())
    else:
        render_shells(report)


@app.command("report")
@handle_errors
def report(
    case_id: Annotated[str, typer.Argument(help="Case number (QZ-…) or id.")],
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("report.html"),
) -> None:
    """Write the whole assessment as one HTML file for a lawyer (evidence chain and graph drawing included)."""
    with transaction() as session:
        case = registry.get_case(session, case_id, actor=operator())
        row = service.latest(session, case)
        if row is None:
            raise NotFound(f"case {case_id} has not been assessed", field="case_id")
        view = AssessmentRead.of(row, case.number)
        debtor = registry.get_debtor(session, case.debtor_id)
        html = render_html(view, case_label=f"QZ-{case.number}", debtor_label=debtor.name,
                           shells=service.evidence_subgraph(session, case))
    out.write_text(html, encoding="utf-8")
    console.print(_("Report written to {path}.", path=str(out)))
