"""Guard rail of `make lint`: no product module over 600 lines and no function over 80 lines
(migrations, tests and benchmarks aside). Long code hides more than one idea: split it into
named steps. Prints each offender and exits 1 if there is any."""

import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
PRODUCT = ("config", "core", "accounts", "providers", "orders", "matching", "reviews", "support")


def product_modules(root: Path) -> list[Path]:
    return [
        path
        for package in PRODUCT
        for path in sorted((root / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def offences(path: Path, root: Path) -> list[str]:
    text = path.read_text()
    name = path.relative_to(root)
    found = []
    lines = text.count("\n") + 1
    if lines > MAX_MODULE_LINES:
        found.append(f"{name}: {lines} lines (at most {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(
                    f"{name}:{node.lineno} {node.name}: {length} lines (at most "
                    f"{MAX_FUNCTION_LINES})"
                )
    return found


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    found = [line for path in product_modules(root) for line in offences(path, root)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
