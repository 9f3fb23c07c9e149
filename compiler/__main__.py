"""``python -m compiler``: the ``ptonnx`` command line (see ``compiler.cli``)."""

from compiler.cli import main

raise SystemExit(main())
