"""``python -m qruntime_async.emulator``: run the emulator until Ctrl-C."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
