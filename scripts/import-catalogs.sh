#!/usr/bin/env bash
# Re-imports every platform's catalog into specs/ (see README, "Re-importing a newer catalog").
# Usage: scripts/import-catalogs.sh [CATALOGS_DIR]   (default: ../shared/catalogs)
# Each catalog's folder layout is described in that folder's README. Importing twice changes
# nothing; problems in a catalog are printed as `path: what is wrong` and the rest is imported.
set -u
cd "$(dirname "$0")/.."
C=${1:-../shared/catalogs}
run() { cargo run -q --release -p opengate-cli -- "$@"; }
run import --from top-metadata "$C/taobao-top" --and "top-php-sdk=$C/taobao-top-php" --out specs/taobao
run import --from youzan-docs "$C/youzan" --index "$C/youzan-index/apis" --and "youzan-ts=$C/youzan-ts" --out specs/youzan
run import --from doudian-go-sdk "$C/doudian" --and "doudian-skit=$C/doudian-more/skit" --out specs/doudian
run import --from openapi --platform douyin "$C/douyin" --and "douyin-sdk=$C/douyin-sdk" --out specs/douyin
run import --from aop-php-sdk "$C/alibaba-1688" --index "$C/alibaba-1688-names" --out specs/alibaba
