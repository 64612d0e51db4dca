"""Customers, contacts, domains and sender enrichment."""
