"""SLA policies, targets and due dates."""
