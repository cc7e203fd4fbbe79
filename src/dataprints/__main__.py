"""``python -m dataprints`` is the ``dataprints`` command."""

import sys

from dataprints.cli import main

sys.exit(main())
