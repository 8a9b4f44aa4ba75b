"""The SQL store: the engine, the tables and their migrations, the unit of work and its statements, case search and
scope as SQL, the event chain, the feeds' cursors, the hand-off links, notes and advice requests, and the in-memory
fake of the unit of work for the domain's tests.
"""
