"""CSV imports of customers and contacts, with a report of every rejected row.

Files of up to `SYNC_IMPORT_MAX_ROWS` data rows are imported within the request (201 with
the report). Larger ones return 202 with the job at once and are imported by a task in
the replica that took the request. Progress and the report are stored in `import_jobs`,
so any replica can serve `GET /imports/{id}`.
"""

import asyncio
import csv
import io
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customer_service.import_rows import (
    CONTACT_COLUMNS,
    CUSTOMER_COLUMNS,
    RowRejectedError,
    insert_contact,
    insert_customer,
    managed_tiers,
)
from customer_service.models import ImportJob
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.problems import ProblemError

log = get_logger(__name__)

SYNC_IMPORT_MAX_ROWS = 1000
BATCH_ROWS = 500

# Tasks of running background imports, kept so they are not garbage-collected mid-run.
_running_imports: set[asyncio.Task[None]] = set()


class RejectedRow(msgspec.Struct, kw_only=True):
    """A row left out of the import, with its line in the file (the header is line 1)."""

    line: int
    reason: str


class ImportOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    status: str
    total_rows: int
    rows_done: int
    inserted: int
    rejected: list[RejectedRow]
    error: str | None


class CsvRow(msgspec.Struct, frozen=True):
    line: int
    values: dict[str, str]


RowInserter = Callable[[AsyncSession, dict[str, str]], Awaitable[None]]


def import_out(job: ImportJob) -> ImportOut:
    return ImportOut(
        id=job.id,
        kind=job.kind,
        status=job.status,
        total_rows=job.total_rows,
        rows_done=job.rows_done,
        inserted=job.inserted,
        rejected=[RejectedRow(line=r["line"], reason=r["reason"]) for r in job.rejected],
        error=job.error,
    )


def parse_csv(body: bytes, allowed: frozenset[str], required: str) -> list[CsvRow]:
    """Return the data rows of a CSV file, or raise a 400 problem for a bad file or header."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProblemError(400, "Invalid CSV", f"The file is not UTF-8: {exc}.") from exc

    reader = csv.DictReader(io.StringIO(text))
    header = [column.strip() for column in reader.fieldnames or []]
    unknown = sorted(set(header) - allowed)
    if unknown or required not in header:
        raise ProblemError(
            400,
            "Invalid CSV header",
            f"The header must contain {required!r} and only columns of {sorted(allowed)}; "
            f"unknown: {unknown}.",
        )
    reader.fieldnames = header

    try:
        return [
            CsvRow(line=reader.line_num, values={k: v for k, v in row.items() if k is not None})
            for row in reader
        ]
    except csv.Error as exc:
        raise ProblemError(400, "Invalid CSV", f"Line {reader.line_num}: {exc}.") from exc


async def _import_batch(
    sessions: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    rows: list[CsvRow],
    insert_row: RowInserter,
) -> None:
    async with unit_of_work(sessions) as session:
        rejected: list[dict[str, Any]] = []
        for row in rows:
            try:
                await insert_row(session, row.values)
            except RowRejectedError as exc:
                rejected.append({"line": row.line, "reason": str(exc)})

        job = await session.get(ImportJob, job_id, with_for_update=True)
        assert job is not None
        job.rows_done += len(rows)
        job.inserted += len(rows) - len(rejected)
        job.rejected = [*job.rejected, *rejected]


async def run_import(
    sessions: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    rows: list[CsvRow],
    insert_row: RowInserter,
) -> None:
    """Import `rows` in batches, one transaction each, and mark the job done or failed."""
    with bound_context(import_id=job_id):
        status, error = "done", None
        try:
            for start in range(0, len(rows), BATCH_ROWS):
                await _import_batch(sessions, job_id, rows[start : start + BATCH_ROWS], insert_row)
        except Exception as exc:
            # The rows of committed batches stay, and the job shows where it stopped and why.
            log.exception("import failed")
            status, error = "failed", repr(exc)

        async with unit_of_work(sessions) as session:
            job = await session.get(ImportJob, job_id)
            assert job is not None
            job.status, job.error, job.finished_at = status, error, datetime.now(UTC)
        log.info("import finished", status=status, rows=len(rows))


async def _start_import(
    request: Request[Any, Any, Any],
    sessions: async_sessionmaker[AsyncSession],
    kind: str,
    rows: list[CsvRow],
    insert_row: RowInserter,
) -> Response[ImportOut]:
    async with unit_of_work(sessions) as session:
        job = ImportJob(id=uuid.uuid4(), kind=kind, total_rows=len(rows), rejected=[])
        session.add(job)
    log.info("import started", import_id=str(job.id), kind=kind, rows=len(rows))

    if len(rows) > SYNC_IMPORT_MAX_ROWS:
        # NOTE: if this replica stops mid-import, the job stays "running" with the rows
        # committed so far, and nothing resumes it.
        task = asyncio.create_task(run_import(sessions, job.id, rows, insert_row))
        _running_imports.add(task)
        task.add_done_callback(_running_imports.discard)
        headers = {"Location": str(request.url_for("get_import", import_id=job.id))}
        return Response(import_out(job), status_code=202, headers=headers)

    await run_import(sessions, job.id, rows, insert_row)
    async with sessions() as session:
        done = await session.get(ImportJob, job.id)
        assert done is not None
        return Response(import_out(done), status_code=201)


def _require_csv(request: Request[Any, Any, Any]) -> None:
    if request.content_type[0] != "text/csv":
        raise ProblemError(
            415, "Unsupported media type", "Send the file as text/csv with a header row."
        )


class ImportController(Controller):
    path = "/imports"
    tags = ["imports"]

    @post("/customers")
    async def import_customers(
        self, request: Request[Any, Any, Any], sessions: Sessions
    ) -> Response[ImportOut]:
        """Import customers from CSV, with the columns listed in `import_rows`."""
        _require_csv(request)
        rows = parse_csv(await request.body(), CUSTOMER_COLUMNS, "name")
        async with sessions() as session:
            tiers = await managed_tiers(session)

        async def insert_row(session: AsyncSession, row: dict[str, str]) -> None:
            await insert_customer(session, row, tiers)

        return await _start_import(request, sessions, "customers", rows, insert_row)

    @post("/contacts")
    async def import_contacts(
        self, request: Request[Any, Any, Any], sessions: Sessions
    ) -> Response[ImportOut]:
        """Import contacts from CSV, with the columns listed in `import_rows`."""
        _require_csv(request)
        rows = parse_csv(await request.body(), CONTACT_COLUMNS, "emails")
        return await _start_import(request, sessions, "contacts", rows, insert_contact)

    @get("/{import_id:uuid}", name="get_import")
    async def get_import(self, import_id: FromPath[uuid.UUID], sessions: Sessions) -> ImportOut:
        """Show an import's progress and, once finished, its report."""
        async with sessions() as session:
            job = await session.get(ImportJob, import_id)
            if job is None:
                raise ProblemError(404, "Not found", f"No import with id {import_id}.")
            return import_out(job)
