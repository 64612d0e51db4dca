"""Inbound and outbound mail of the help desk."""
