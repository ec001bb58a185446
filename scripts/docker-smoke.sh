#!/usr/bin/env bash
# Builds the tim-emulator image and proves it end to end with host networking:
# run with a state-file volume, wait for HEALTHCHECK, create a group, `docker stop` (SIGTERM:
# the state is saved), start again, read the group back, check the image is under 30 MB.
# Prints the build time, image size, start-to-healthy and stop times.
#
#   scripts/docker-smoke.sh              # from the repository root, as root
#   KEEP_IMAGE=1 scripts/docker-smoke.sh # keep tim-emulator:smoke and its build cache
#
# Knobs: PORT (default: a free loopback port), IMAGE (default tim-emulator:smoke), KEEP_IMAGE.
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
    2>/dev/null || echo 18269
}
PORT="${PORT:-$(free_port)}"
IMAGE="${IMAGE:-tim-emulator:smoke}"
NAME="tim-emulator-smoke-$$"
MAX_BYTES=$((30 * 1000 * 1000))
STATE_DIR="$(mktemp -d)"
BUILD_LOG="$(mktemp)"
BASE="http://127.0.0.1:${PORT}"
Q="sdkappid=1400000000&identifier=administrator&usersig=smoke&random=1"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "[docker-smoke] $*"; }
fail() { say "FAIL: $*"; docker logs "$NAME" 2>&1 | tail -20 || true; exit 1; }

cleanup() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  rm -rf "$STATE_DIR" "$BUILD_LOG"
  if [[ -z "${KEEP_IMAGE:-}" ]]; then
    docker rmi "$IMAGE" >/dev/null 2>&1 || true
    # The classic builder leaves the build stage behind as an untagged image: remove it by ID.
    if [[ -n "${STAGE_ID:-}" ]]; then docker rmi "$STAGE_ID" >/dev/null 2>&1 || true; fi
  fi
}
trap cleanup EXIT

wait_healthy() {
  local started="$1"
  for _ in $(seq 1 120); do
    case "$(docker inspect -f '{{.State.Health.Status}}' "$NAME" 2>/dev/null)" in
      healthy) say "healthy after $(since "$started") s"; return 0 ;;
      unhealthy) fail "container reported unhealthy" ;;
    esac
    sleep 0.25
  done
  fail "not healthy after 30 s"
}

vendor() { curl -fsS "${BASE}/v4/$1?${Q}" -d "$2"; }

../shared/tools/docker-local-bases.sh

t=$(now)
docker build --network host -t "$IMAGE" . >"$BUILD_LOG" 2>&1 || { tail -30 "$BUILD_LOG"; fail "docker build"; }
say "build: $(since "$t") s"
# The ID the last step of the build stage produced (the line before "FROM scratch").
STAGE_ID="$(grep -B1 -E '^Step [0-9]+/[0-9]+ : FROM scratch' "$BUILD_LOG" | grep -oE '[0-9a-f]{12}' | head -1 || true)"

size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
say "image size: ${size} bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB)"
(( size < MAX_BYTES )) || fail "image is ${size} bytes, not under ${MAX_BYTES}"
[[ "$(docker image inspect -f '{{.Config.User}}' "$IMAGE")" == "65532:65532" ]] || fail "image does not run as 65532"

chown 65532:65532 "$STATE_DIR"
t=$(now)
docker run -d --name "$NAME" --network host --health-interval 1s \
  -v "$STATE_DIR:/data" \
  -e TIM_EMULATOR_LISTEN="127.0.0.1:${PORT}" \
  -e TIM_EMULATOR_STATE_FILE=/data/state.json \
  "$IMAGE" >/dev/null
wait_healthy "$t"

vendor im_open_login_svc/account_import '{"UserID":"leckie"}' | grep -q '"ErrorCode":0' || fail "account_import"
created=$(vendor group_open_http_svc/create_group \
  '{"Owner_Account":"leckie","Type":"Public","Name":"smoke","GroupId":"smoke-group","AppDefinedData":[{"Key":"k","Value":"a\u0000b"}]}')
echo "$created" | grep -q '"GroupId":"smoke-group"' || fail "create_group answered $created"
before=$(vendor group_open_http_svc/get_group_info '{"GroupIdList":["smoke-group"]}')

t=$(now)
docker stop "$NAME" >/dev/null
say "docker stop: $(since "$t") s (SIGTERM handled when well under 10 s)"
[[ "$(docker inspect -f '{{.State.ExitCode}}' "$NAME")" == "0" ]] || fail "non-zero exit after SIGTERM"
[[ -s "$STATE_DIR/state.json" ]] || fail "no state file after docker stop"
grep -q smoke-group "$STATE_DIR/state.json" || fail "the state file lacks the group"

t=$(now)
docker start "$NAME" >/dev/null
wait_healthy "$t"
after=$(vendor group_open_http_svc/get_group_info '{"GroupIdList":["smoke-group"]}')
[[ "$before" == "$after" ]] || fail "group changed across restart: $before vs $after"
docker exec "$NAME" /usr/local/bin/tim-emulator healthcheck || fail "healthcheck subcommand inside the container"

say "OK: group read back unchanged after docker stop + start"
