"""The managed list of ticket categories."""

from litestar import Controller, get, post
from litestar.params import JSONBody

from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.logging import get_logger
from ticket_service.api.authentication import requires
from ticket_service.api.schemas import CategoryCreate, CategoryOut
from ticket_service.classification import create_category, list_categories
from ticket_service.roles import Permission
from ticket_service.tickets import utc_now

log = get_logger(__name__)


class CategoryController(Controller):
    path = "/categories"
    tags = ["categories"]

    @get("/")
    async def list_categories(self, sessions: Sessions) -> list[CategoryOut]:
        """List the categories tickets and routing rules may name, by name."""
        async with sessions() as session:
            categories = await list_categories(session)
        return [CategoryOut(name=item.name, created_at=item.created_at) for item in categories]

    @post("/", status_code=201, guards=[requires(Permission.CONFIGURE)])
    async def create_category(
        self, data: JSONBody[CategoryCreate], sessions: Sessions
    ) -> CategoryOut:
        """Add a category; adding an existing name returns it unchanged."""
        name = data.name.strip()
        async with unit_of_work(sessions) as session:
            category = await create_category(session, name, utc_now())
        log.info("category created", category=name)
        return CategoryOut(name=category.name, created_at=category.created_at)
