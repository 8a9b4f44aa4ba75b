"""The pathway engine: pure Python, standard library only, no I/O, no clock reads."""
