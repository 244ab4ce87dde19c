"""``python -m adapters crashtest ...``: the adapters' command-line tools (see ``adapters.crashtest``)."""

from __future__ import annotations

import sys

from adapters import crashtest

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "crashtest":
        print("usage: python -m adapters crashtest {campaign,recover} ...", file=sys.stderr)
        sys.exit(2)
    sys.exit(crashtest.main(sys.argv[2:]))
