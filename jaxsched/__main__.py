"""``python -m jaxsched``: the ``jaxsched`` command (see ``jaxsched --help``)."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
