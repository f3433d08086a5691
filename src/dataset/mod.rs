//! Building the Workload: sessions, turns and request templates.
