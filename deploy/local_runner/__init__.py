"""The local runner behind `make run`: infrastructure, services, demo data and shutdown."""
