"""Tickets, interactions, threading and the agent API."""
