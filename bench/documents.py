"""Sign-off documents: the time to make each format of a record, its size and its pages.

Run it with `.venv/bin/python bench/documents.py` (`--help` for the options). By default it
works on an embedded SQLite database in a temporary folder (a document's cost does not
depend on the database); --database-url runs it on PostgreSQL instead, in a database it
creates on that server and drops at the end. The temporary folder is removed at the end.

What it measures (docs/performance.md, section "Documents", says more):

1. Setup, untimed for the figures: a `community_safety_strategy` cycle started and played to
   adoption by `workflow.player.Player`, in this process, on a `SimulatedClock`, with no
   workers, so its outbox holds every `GatePassed` event and its history the full audit
   trail. Two documents are measured, each from its own `GatePassed` event:
   - the sign-off record (`sign_off_record`) of `sign_off_assessment`, the Risk Board's
     sign-off of the strategic assessment;
   - the adoption pack (`strategy_pack`) of `adopt_strategy`, with the whole cycle's history.
   Each document's context is built once with `Documents.context` (public version), as the
   `GatePassed` handler builds it; its time is reported too.
2. Cold start: the first document made in a fresh process pays imports and one-off set-up
   (WeasyPrint's is Pango and fontconfig loading the fonts). Reported per format as the
   import, then the first conversion, against the warm median.
3. Per format, after --warmup untimed rounds, --rounds timed rounds, each making every
   format of both documents in turn:
   - html: the template rendered from the context as `Documents.render` does it (a new
     sandboxed Jinja2 environment, so the template is compiled each time), and, for
     comparison, with the compiled template kept;
   - pdf: `notifications.pdf.to_pdf` of that HTML (WeasyPrint);
   - docx: `notifications.documents.to_docx` of that HTML (html-for-docx on python-docx).
   Medians, min and max of wall time, and the median CPU time of this process. The size of
   each output, the page count of each PDF (pypdf), and whether the bytes were the same in
   every round.
4. Growth: the adoption pack again with its audit trail repeated --scale times (a synthetic
   longer history: a real cycle adds reminders, re-attached papers, deferrals, comments), one
   PDF and one DOCX each.
5. The handler: `Handlers.handle` running the documents handler for the `adopt_strategy`
   event (a sign-off record and the adoption pack, all formats, stored, mail rows queued), in
   a thread, as a worker would; while it runs, this thread starts another cycle
   (`Engine.start`, an ordinary write command) and times it, against the same command when
   nothing else runs.

Nothing is asserted about timings.

What it builds is in bench/documents_setup.py, the measured parts in bench/documents_formats.py;
this file runs them and prints the report.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/transitions.py
# would shadow the `transitions` library the engine imports. Take it off.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse
import datetime as dt
import platform
import shutil
import statistics
import tempfile
import time

import sqlalchemy
from sqlalchemy.engine import make_url

from bench.documents_formats import (
    Cold,
    Figures,
    Grown,
    HandlerFigures,
    Maker,
    cold_start,
    growth,
    handler_run,
    measure_formats,
)
from bench.documents_setup import (
    FORMATS,
    SHIPPED,
    START,
    TARGETS,
    YEAR,
    Prepared,
    database,
    database_facts,
    gate_events,
    ms,
    peak_rss_mib,
    play_to_adoption,
    prepare,
    rss_mib,
    timed,
    version,
)
from bench.harness import DEFINITIONS, load, machine
from notifications.documents import Documents
from workflow.app import App, build
from workflow.settings import Settings
from workflow.store import db
from workflow.store.paper_store import PaperStore
from workflow.time.clock import SimulatedClock

# -- the run -------------------------------------------------------------------------------


def parse_factors(raw: str) -> list[int]:
    if raw.strip() in ("", "0"):
        return []
    try:
        factors = [int(x) for x in raw.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{raw}' is not a list of whole numbers like 2,4") from None
    if any(f < 1 for f in factors):
        raise argparse.ArgumentTypeError("each factor must be 1 or more")
    return factors


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/documents.py",
        description="Time to make each format (HTML, PDF, DOCX) of a sign-off record and of the adoption pack.",
    )
    parser.add_argument("--database-url",
                        help="a PostgreSQL server: the benchmark creates its own database there and drops it at "
                             "the end (default: an embedded SQLite database in a temporary folder)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="timed rounds; each makes every format of both documents (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed rounds after the cold start (default: %(default)s)")
    parser.add_argument("--scale", type=parse_factors, default=[2, 4], metavar="N,N",
                        help="repeat the adoption pack's audit trail this many times, one PDF and one DOCX each; "
                             "0 to leave out (default: 2,4)")
    parser.add_argument("--skip-handler", action="store_true",
                        help="leave out the handler run and the command timed while it runs")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1, --warmup at least 0")
    return args


def run(args: argparse.Namespace) -> None:
    work_dir = Path(tempfile.mkdtemp(prefix="cycle-bench-documents-"))
    started = time.perf_counter()
    try:
        with database(args.database_url, work_dir) as url:
            run_on(args, url, work_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; the temporary folder"
          f"{' and the scratch database are' if args.database_url else ' is'} removed")


def run_on(args: argparse.Namespace, url: str, work_dir: Path) -> None:
    if not url.startswith("sqlite"):
        migrate = db.make_engine(url)
        db.upgrade(migrate)
        db.mark_rehearsal(migrate)  # a scratch database on simulated time
        migrate.dispose()
    settings = Settings(data_dir=work_dir / "data", database_url=url, definitions_dir=DEFINITIONS)
    clock = SimulatedClock(START)
    app = build(settings, clock=clock)
    try:
        measure_all(args, app, clock, settings, work_dir)
    finally:
        app.close()


def measure_all(args: argparse.Namespace, app: App, clock: SimulatedClock, settings: Settings,
                work_dir: Path) -> None:
    print(f"strategy-cycle document benchmark, {dt.date.today().isoformat()}")
    print(f"  machine:  {machine()}")
    print(f"  software: Python {platform.python_version()}, WeasyPrint {version('weasyprint')} "
          f"(pydyf {version('pydyf')}), python-docx {version('python-docx')}, html-for-docx "
          f"{version('html-for-docx')}, Jinja2 {version('Jinja2')}, SQLAlchemy {sqlalchemy.__version__}")
    print(f"  database: {database_facts(app)}")
    rss_start = rss_mib()

    print(f"\nsetup: '{SHIPPED}' {YEAR} played to adoption by workflow.player.Player", flush=True)
    key, play = timed(lambda: play_to_adoption(app, clock, work_dir))
    events = gate_events(app)
    print(f"  {key}: {len(events)} GatePassed events, played in {play.wall:.1f} s")
    documents = Documents(app.engine, PaperStore(settings.documents_dir))
    prepared = [prepare(app, documents, t, events[t.trigger], args.rounds) for t in TARGETS]
    makers = [Maker(documents, p) for p in prepared]

    print("cold start: the first PDF and DOCX in this process (the sign-off record)", flush=True)
    rss_before = rss_mib()
    colds = cold_start(makers[0])
    rss_after_cold = rss_mib()
    for maker in makers[1:]:
        maker.render_html()

    print(f"formats: {args.warmup} warm-up round(s), then {args.rounds} timed rounds of both documents",
          flush=True)
    figures = measure_formats(makers, args.warmup, args.rounds)

    grown: list[Grown] = []
    if args.scale:
        print(f"growth: the adoption pack with its audit trail x{', x'.join(map(str, args.scale))}", flush=True)
        grown = growth(makers[1], args.scale)

    handled = None
    if not args.skip_handler:
        print("handler: the documents of the adopt_strategy event, with a command started meanwhile", flush=True)
        handled = handler_run(app, documents, events["adopt_strategy"])

    report(args, prepared, figures, colds, grown, handled,
           rss={"start": rss_start, "before": rss_before, "after_cold": rss_after_cold, "end": rss_mib(),
                "peak": max(peak_rss_mib(), rss_mib())})


def report(args: argparse.Namespace, prepared: list[Prepared], figures: list[Figures], colds: list[Cold],
           grown: list[Grown], handled: HandlerFigures | None, rss: dict[str, float]) -> None:
    print(f"\nload average after: {load()}")
    print(f"\nPer document and format: milliseconds of wall time, median of {args.rounds} rounds (min-max), "
          "median CPU time of this process; the output's size")
    header = f"  {'':<30} {'median':>8} {'min-max':>15} {'CPU':>8} {'size':>10} {'same bytes':>11}"
    for p, fig in zip(prepared, figures, strict=True):
        rows = ", ".join(f"{n} {what}" for what, n in fig.rows.items())
        print(f"\n  {p.target.label}  [{rows}]")
        print(header)
        print("  " + "-" * (len(header) - 2))
        context = p.context_samples
        walls = [s.wall for s in context]
        print(f"  {'context (Documents.context)':<30} {ms(statistics.median(walls)):>8} "
              f"{ms(min(walls)) + '-' + ms(max(walls)):>15} {ms(statistics.median(s.cpu for s in context)):>8} "
              f"{'':>10} {'':>11}")
        for name, samples in fig.samples.items():
            walls = [s.wall for s in samples]
            size = f"{fig.sizes[name] / 1024:,.1f} KiB"
            same = "yes" if len(fig.hashes[name]) == 1 else f"no ({len(fig.hashes[name])})"
            print(f"  {name:<30} {ms(statistics.median(walls)):>8} {ms(min(walls)) + '-' + ms(max(walls)):>15} "
                  f"{ms(statistics.median(s.cpu for s in samples)):>8} {size:>10} {same:>11}")
        total = sum(statistics.median(s.wall for s in fig.samples[f]) for f in FORMATS)
        print(f"  {'all three (html + pdf + docx)':<30} {ms(total):>8}   PDF: {fig.pages} pages")

    warm = {fmt: statistics.median(s.wall for s in figures[0].samples[fmt]) for fmt in FORMATS}
    print(f"\nCold start, {prepared[0].target.label.split(',')[0]}: milliseconds")
    header = f"  {'':<6} {'imports':<22} {'import':>8} {'first call':>11} {'warm median':>12} {'extra':>8}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for c in colds:
        extra = c.import_s + c.first.wall - warm[c.fmt]
        print(f"  {c.fmt:<6} {c.imports:<22} {ms(c.import_s):>8} {ms(c.first.wall):>11} {ms(warm[c.fmt]):>12} "
              f"{ms(extra):>8}")
    print("  extra: import + first call - warm median, paid once per process")
    print(f"  resident memory: {rss['start']:.0f} MiB at the start, {rss['before']:.0f} MiB before the first PDF, "
          f"{rss['after_cold']:.0f} MiB after the first PDF and DOCX, {rss['end']:.0f} MiB at the end "
          f"(peak {rss['peak']:.0f} MiB)")

    if grown:
        base = figures[1]
        print("\nThe adoption pack with a longer audit trail (synthetic: the history repeated), one run each")
        header = (f"  {'history rows':>12} {'pdf ms':>8} {'CPU':>6} {'pages':>6} {'docx ms':>8} {'CPU':>6} "
                  f"{'docx size':>10}")
        print(header)
        print("  " + "-" * (len(header) - 2))
        pdf, docx = base.samples["pdf"], base.samples["docx"]
        print(f"  {base.rows['history']:>12} {ms(statistics.median(s.wall for s in pdf)):>8} "
              f"{ms(statistics.median(s.cpu for s in pdf)):>6} {base.pages:>6} "
              f"{ms(statistics.median(s.wall for s in docx)):>8} {ms(statistics.median(s.cpu for s in docx)):>6} "
              f"{base.sizes['docx'] / 1024:>6,.1f} KiB  (the medians above)")
        for g in grown:
            print(f"  {g.history:>12} {ms(g.pdf.wall):>8} {ms(g.pdf.cpu):>6} {g.pages:>6} {ms(g.docx.wall):>8} "
                  f"{ms(g.docx.cpu):>6} {g.docx_bytes / 1024:>6,.1f} KiB")

    if handled:
        print(f"\nThe GatePassed handler for adopt_strategy (Handlers.handle, documents only): "
              f"{handled.handler_s:.2f} s for {handled.documents} documents, all formats, stored, "
              "rendered before its short write transaction")
        print(f"  Engine.start meanwhile (from {ms(handled.command_started_after_s)} ms into the handler): "
              f"{ms(handled.concurrent_command_s)} ms, against {ms(handled.idle_command_s)} ms with nothing "
              "else running")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        run(args)
    except sqlalchemy.exc.OperationalError as exc:
        if not args.database_url:
            raise
        server = make_url(db.normalise_url(args.database_url)).render_as_string(hide_password=True)
        raise SystemExit(f"error: PostgreSQL at {server} could not be used ({exc.orig or exc}); start it with "
                         "'make services' or leave out --database-url") from None


if __name__ == "__main__":
    main()
