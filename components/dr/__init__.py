"""Pilot-light disaster recovery: data replication into the DR region (owned by the primary stack),
the pilot light the DR stack keeps warm, and the Route 53 failover records."""
