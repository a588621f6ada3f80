#!/usr/bin/env bash
# The libraries depend on each other in one direction only (ARCHITECTURE.md):
#   formats <- render <- encoder, player <- tools; encoder and player never include each other.
# Fails when a source includes a header from a folder it may not depend on.
set -u
cd "$(dirname "$0")/.."
status=0
check() {
    local folder=$1 forbidden=$2
    [ -d "$folder" ] || return 0
    local hits
    hits=$(grep -rnE "#include \"($forbidden)/" "$folder" --include='*.c' --include='*.h' || true)
    if [ -n "$hits" ]; then
        echo "$folder may not include from $forbidden:" >&2
        echo "$hits" >&2
        status=1
    fi
}
check formats "render|encoder|player|tools|tests"
check render "encoder|player|tools|tests"
check encoder "player|tools|tests"
check player "encoder|tools|tests"
check shaders "encoder|player|tools|tests"
[ $status -eq 0 ] && echo "library dependencies point one way"
exit $status
