#!/usr/bin/env bash
# Installs Debian's PostgreSQL server when it is missing, so the test suite's
# PostgreSQL leg can start a throwaway cluster. No service is started here:
# test/setup/global-postgres.ts runs initdb/pg_ctl on a free port per test run.
set -euo pipefail

if [ -n "${EFI_TEST_PG_URL:-}" ]; then
  exit 0 # an existing server was given
fi
if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
  exit 0
fi
if [ "${EFI_SKIP_POSTGRES:-}" = "1" ]; then
  echo "ensure-postgres: EFI_SKIP_POSTGRES=1, the PostgreSQL leg of the tests will be skipped" >&2
  exit 0
fi

echo "ensure-postgres: installing Debian's postgresql (needed by the PostgreSQL test leg)..." >&2
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "ensure-postgres: PostgreSQL is not installed and this user cannot install it." >&2
  echo "  Install it (apt-get install postgresql), or set EFI_TEST_PG_URL=postgres://..., or EFI_SKIP_POSTGRES=1." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || { echo "ensure-postgres: pg_ctl still not found after install" >&2; exit 1; }
