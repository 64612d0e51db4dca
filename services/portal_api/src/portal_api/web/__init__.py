"""HTTP entry points of the portal: server-rendered pages, live updates and a JSON API."""
