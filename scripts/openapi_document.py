"""Write (or ``--check``) the REST API's committed OpenAPI document, ``openapi.json``, from the code.

    PYTHONPATH=layers/common .venv/bin/python scripts/openapi_document.py openapi.json          # regenerate
    PYTHONPATH=layers/common .venv/bin/python scripts/openapi_document.py --check openapi.json  # compare

A development tool: it is not shipped in the Lambda layer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from batch_on_eks.api.openapi import document_text
from batch_on_eks.api.resolver import app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write (or --check) the API's committed OpenAPI document.")
    parser.add_argument("path", type=Path, nargs="?", default=Path("openapi.json"))
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from the code's")
    options = parser.parse_args(argv)
    text = document_text(app)
    if options.check:
        current = options.path.read_text(encoding="utf-8") if options.path.exists() else ""
        if current != text:
            print(
                f"{options.path} is not what the code generates: regenerate it (make openapi)",
                file=sys.stderr,
            )
            return 1
        return 0
    options.path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
