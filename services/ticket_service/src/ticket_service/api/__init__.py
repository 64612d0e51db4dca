"""The HTTP API of ticket_service."""
