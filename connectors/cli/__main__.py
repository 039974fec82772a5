"""`python -m connectors.cli`: the same command as `outcome-chain-push`."""

import sys

from .command import main

sys.exit(main())
