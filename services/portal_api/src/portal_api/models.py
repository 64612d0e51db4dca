"""Tables of portal_api, in the `portal` schema.

TODO: portal accounts, sessions and intake forms live here once the portal is built;
the service runs today only to serve health and readiness checks.
"""

from sqlalchemy import MetaData

SCHEMA = "portal"

metadata = MetaData(schema=SCHEMA)
