"""`POST /tickets/bulk`: one change applied to many tickets."""

from litestar import Controller, post
from msgspec import UNSET

from helpdesk_runtime.database import Sessions
from helpdesk_runtime.logging import bound_context
from helpdesk_runtime.problems import ProblemError
from ticket_service.agents import check_assignable
from ticket_service.api.authentication import actor_of
from ticket_service.api.openapi_examples import INVALID_REQUEST, UNAUTHORIZED, BulkUpdateBody
from ticket_service.api.problems import problem_status
from ticket_service.api.schemas import BulkResponse, BulkResult
from ticket_service.api.tickets import AnyRequest, correlation_id_of
from ticket_service.bulk import BulkOutcome, BulkTarget, apply_to_many
from ticket_service.teams import check_team
from ticket_service.ticket_updates import FieldChanges


def _result(outcome: BulkOutcome) -> BulkResult:
    if outcome.error is not None:
        return BulkResult(
            id=outcome.ticket_id,
            outcome="failed",
            status=problem_status(outcome.error),
            version=None,
            error=str(outcome.error),
        )
    return BulkResult(
        id=outcome.ticket_id,
        outcome="updated" if outcome.changed else "unchanged",
        status=200,
        version=outcome.version,
        error=None,
    )


class BulkController(Controller):
    path = "/tickets/bulk"
    tags = ["tickets"]

    @post("/", status_code=200, responses={400: INVALID_REQUEST, 401: UNAUTHORIZED})
    async def bulk_update(
        self, request: AnyRequest, data: BulkUpdateBody, sessions: Sessions
    ) -> BulkResponse:
        """Apply status, priority, team, an added assignee or added tags to many tickets.

        Each ticket is changed in its own transaction and reported on its own.
        """
        change = data.changes
        fields = FieldChanges(
            status=change.status,
            priority=change.priority,
            add_assignees=(change.add_assignee,) if change.add_assignee else (),
            add_tags=tuple(change.add_tags),
            assigned_team=UNSET if change.assigned_team is None else change.assigned_team,
        )
        if fields == FieldChanges():
            raise ProblemError(
                400, "Empty change", "Set at least one field to change.", field="$.changes"
            )

        async with sessions() as session:
            # A name that exists for no ticket is one 422 for the request, not one per ticket.
            await check_assignable(session, fields.add_assignees, "$.changes.add_assignee")
            await check_team(session, change.assigned_team, "$.changes.assigned_team")

        targets = [BulkTarget(ticket_id=item.id, version=item.version) for item in data.tickets]
        correlation_id = correlation_id_of(request)
        with bound_context(correlation_id=correlation_id):
            outcomes = await apply_to_many(
                sessions, targets, fields, actor_of(request), correlation_id
            )
        return BulkResponse(results=[_result(outcome) for outcome in outcomes])
