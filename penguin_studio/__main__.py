"""`python -m penguin_studio` runs the same entry point as the `penguin-studio` script."""

import sys

from penguin_studio.cli import main

if __name__ == "__main__":
    sys.exit(main())
