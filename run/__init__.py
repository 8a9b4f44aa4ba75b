"""Running it: the command line (``leerlingroute``), the supervisor of ``serve``, the demo and its data, and the
generated pathway docs. Entry points like ``api/``, ``web/`` and ``flows/``: they use the service layer.
"""
