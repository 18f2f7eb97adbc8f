"""The document benchmark's measured parts: each format, a cold start, growth, the handler."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import importlib.metadata
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Template

from bench.documents_setup import (
    SHIPPED,
    YEAR,
    Prepared,
    Sample,
    pages,
    timed,
)
from notifications.documents import Documents, to_docx
from notifications.pdf import to_pdf
from workflow.app import App
from workflow.definition.templating import make_environment
from workflow.store.models import OutboxEvent
from workflow.store.outbox import Handlers

# -- the formats ---------------------------------------------------------------------------


class Maker:
    """The three formats of one prepared document, the way `Documents.render` makes them."""

    def __init__(self, documents: Documents, prepared: Prepared) -> None:
        self.p = prepared
        self.templates = documents.engine.catalog.templates_for_snapshot(prepared.definition)
        self._compiled: Template | None = None
        self.html = ""  # set by the first render_html(), in cold_start() or prepare_html()

    def render_html(self) -> str:
        """As `Documents.render`: a new environment, so the template is loaded and compiled again."""
        html = make_environment(self.templates).get_template(self.p.spec.template).render(**self.p.ctx)
        self.html = self.html or html
        return html

    def compiled(self) -> Template:
        if self._compiled is None:
            self._compiled = make_environment(self.templates).get_template(self.p.spec.template)
        return self._compiled

    def render_cached(self) -> str:
        return self.compiled().render(**self.p.ctx)

    def pdf(self) -> bytes:
        return to_pdf(self.html)

    def docx(self) -> bytes:
        return to_docx(self.html, self.p.ctx["document"]["title"], self.p.created)

    def steps(self) -> dict[str, Callable[[], Any]]:
        return {"html": self.render_html, "html, compiled template kept": self.render_cached,
                "pdf": self.pdf, "docx": self.docx}


@dataclass
class Figures:
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    hashes: dict[str, set[str]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def as_bytes(output: Any) -> bytes:
    return output.encode("utf-8") if isinstance(output, str) else output


def measure_formats(makers: list[Maker], warmup: int, rounds: int) -> list[Figures]:
    figures = [Figures() for _ in makers]
    for _ in range(warmup):
        for maker in makers:
            for work in maker.steps().values():
                work()
    for _ in range(rounds):
        for maker, fig in zip(makers, figures, strict=True):
            for name, work in maker.steps().items():
                output, sample = timed(work)
                fig.samples.setdefault(name, []).append(sample)
                content = as_bytes(output)
                fig.hashes.setdefault(name, set()).add(hashlib.sha256(content).hexdigest())
                fig.sizes[name] = len(content)
                if name == "pdf":
                    fig.pages = pages(content)
    for maker, fig in zip(makers, figures, strict=True):
        ctx = maker.p.ctx
        fig.rows = {"history": len(ctx["history"]), "milestones": len(ctx["milestones"]),
                    "papers": len(ctx["papers"]), "decisions": len(ctx["decisions"]),
                    "strands": len(ctx["strands"])}
    return figures


@dataclass(frozen=True)
class Cold:
    fmt: str
    imports: str
    import_s: float
    first: Sample


def cold_start(maker: Maker) -> list[Cold]:
    """The first conversion of each format in this process, its imports timed apart."""
    found = []
    plans: list[tuple[str, tuple[str, ...], Callable[[], Any]]] = [
        ("html", ("jinja2",), maker.render_html),
        ("pdf", ("weasyprint",), maker.pdf),
        ("docx", ("docx", "html4docx"), maker.docx),
    ]
    for fmt, modules, work in plans:
        fresh = [m for m in modules if m not in sys.modules]
        t0 = time.perf_counter()
        for module in fresh:
            importlib.import_module(module)
        import_s = time.perf_counter() - t0
        _, first = timed(work)
        found.append(Cold(fmt, ", ".join(fresh) or "already imported", import_s, first))
    return found


# -- growth --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grown:
    factor: int
    history: int
    pdf: Sample
    pages: int
    docx: Sample
    docx_bytes: int


def growth(maker: Maker, factors: list[int]) -> list[Grown]:
    found = []
    for factor in factors:
        ctx = {**maker.p.ctx, "history": maker.p.ctx["history"] * factor}
        html = maker.compiled().render(**ctx)
        pdf, pdf_sample = timed(lambda html=html: to_pdf(html))
        docx, docx_sample = timed(lambda html=html, ctx=ctx: to_docx(html, ctx["document"]["title"],
                                                                       maker.p.created))
        found.append(Grown(factor, len(ctx["history"]), pdf_sample, pages(pdf), docx_sample, len(docx)))
    return found


# -- the handler, and a command while it runs ----------------------------------------------


@dataclass(frozen=True)
class HandlerFigures:
    handler_s: float
    documents: int
    idle_command_s: float
    concurrent_command_s: float
    command_started_after_s: float


def handler_run(app: App, documents: Documents, event_id: int) -> HandlerFigures:
    engine = app.engine
    definition = engine.catalog.load(SHIPPED)
    author = next(p.id for p in definition.people.values() if set(p.roles) & set(definition.permissions["start"]))
    _, idle = timed(lambda: engine.start(SHIPPED, YEAR + 1, author))

    rendering = threading.Event()
    made: list[int] = []
    failure: list[BaseException] = []

    def prepare(event_id: int) -> Any:
        rendering.set()
        return documents.prepare(event_id)

    def apply(session: Any, event: OutboxEvent, now: dt.datetime, prepared: Any) -> None:
        made.extend(d.id for d in documents.apply(session, event, now, prepared))

    # As the workers wire it: rendering before the write transaction, recording inside it.
    handlers = Handlers()
    handlers.on("GatePassed", "documents", apply, prepare=prepare)
    took: list[float] = []

    def worker() -> None:
        t0 = time.perf_counter()
        try:
            handlers.handle(engine, event_id)
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)
            rendering.set()
        took.append(time.perf_counter() - t0)

    thread = threading.Thread(target=worker, name="documents-handler")
    t0 = time.perf_counter()
    thread.start()
    rendering.wait(60)
    time.sleep(0.05)  # into the rendering proper
    started_after = time.perf_counter() - t0
    _, concurrent = timed(lambda: engine.start(SHIPPED, YEAR + 2, author))
    thread.join()
    if failure:
        raise failure[0]
    return HandlerFigures(took[0], len(made), idle.wall, concurrent.wall, started_after)
