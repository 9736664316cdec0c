"""`python -m sim` runs the mvsim command line."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
