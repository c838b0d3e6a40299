import sys

from ecoledger.cli.main import main

sys.exit(main())
