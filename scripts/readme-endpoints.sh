#!/usr/bin/env bash
# Rewrites the vendor rows of README.md's endpoint table from the command registry
# (src/api/registry.rs), using the table the registry test prints when they differ.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(cargo test --lib -q the_readme_endpoint_table_is_the_registry 2>&1 || true)
table=$(printf '%s\n' "$out" | sed -n '/its vendor rows must be exactly:/,/^$/p' | grep '^| `POST /v4/' || true)
if [[ -z "$table" ]]; then
  echo "README.md's endpoint table already matches the registry"
  exit 0
fi
TABLE="$table" python3 - <<'PY'
import os, re
rows = os.environ["TABLE"].strip("\n") + "\n"
text = open("README.md").read()
new, n = re.subn(r"(?:\| `POST /v4/[^\n]*\n)+", lambda m: rows, text, count=1)
if n != 1:
    raise SystemExit("README.md has no vendor rows to replace")
open("README.md", "w").write(new)
PY
echo "README.md's endpoint table rewritten from the registry"
