"""Read models over the store for people who act: the worklist, the monitor's stalled list and passed deadlines, the
weekly digests, the silence check and the search box.
"""
