"""FlowMart benchmarks: `python -m bench` runs them all, `python -m bench <name>` one.

Each module bench/<name>.py exposing main() is a benchmark. They start their own
servers and workers against their own PostgreSQL database and Redis number, and are
never collected by the unit test suite.
"""
