"""Message contracts shared by every help-desk service.

Services import nothing from each other: they agree on the Structs, enums, subjects and
JetStream streams defined here.
"""
