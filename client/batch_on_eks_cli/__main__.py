"""``python -m batch_on_eks_cli``: the same as the ``batch-on-eks`` command."""

import sys

from batch_on_eks_cli.cli import main

sys.exit(main())
