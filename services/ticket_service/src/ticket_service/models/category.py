"""The managed list of ticket categories."""

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from ticket_service.models.base import Base


class Category(Base):
    """A category that tickets and routing rules may name."""

    __tablename__ = "categories"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
