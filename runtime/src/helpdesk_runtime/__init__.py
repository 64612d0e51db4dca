"""Runtime shared by the help-desk services."""
