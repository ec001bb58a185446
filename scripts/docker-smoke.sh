#!/usr/bin/env bash
# Builds the tim-emulator image and proves it end to end with host networking:
# the image's own HEALTHCHECK reports healthy about a second after the start; a group created
# over HTTP is read back over HTTPS with curl --cacert and the CA the container wrote; `docker
# stop` (SIGTERM) saves the state, a start reads the group back; a bind-mounted state directory
# the image's user cannot write stops the start with a message naming uid 65532 and the chown
# fix; the image is under 30 MB. Prints the build time, image size, start-to-healthy and stop
# times.
#
#   scripts/docker-smoke.sh              # from the repository root, as root
#   KEEP_IMAGE=1 scripts/docker-smoke.sh # keep tim-emulator:smoke and its build cache
#
# Needs nothing outside the repository. Prerequisites: a Docker engine (25 or later for
# HEALTHCHECK --start-interval; with an older engine the flag is removed from the Dockerfile for
# this build and the run passes --health-interval 1s instead, and the script says so), and the
# base image rust:1.95-slim-bookworm, pulled or already present (`docker pull
# rust:1.95-slim-bookworm`; a machine without a registry must provide a local image of that
# name). Root, to chown the bind-mounted directories to 65532.
#
# Knobs: PORT, HTTPS_PORT (default: free loopback ports), IMAGE (default tim-emulator:smoke),
# KEEP_IMAGE.
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
    2>/dev/null || echo 18269
}
PORT="${PORT:-$(free_port)}"
HTTPS_PORT="${HTTPS_PORT:-$(free_port)}"
[[ "$HTTPS_PORT" != "$PORT" ]] || HTTPS_PORT=$((PORT + 1))
BASE_IMAGE="$(awk '/^FROM .* AS build/ { print $2; exit }' Dockerfile)"
IMAGE="${IMAGE:-tim-emulator:smoke}"
NAME="tim-emulator-smoke-$$"
MAX_BYTES=$((30 * 1000 * 1000))
STATE_DIR="$(mktemp -d)"
TLS_DIR="$(mktemp -d)"
LOCKED_DIR="$(mktemp -d)"
BUILD_LOG="$(mktemp)"
BASE="http://127.0.0.1:${PORT}"
Q="sdkappid=1400000000&identifier=administrator&usersig=smoke&random=1"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "[docker-smoke] $*"; }
fail() { say "FAIL: $*"; docker logs "$NAME" 2>&1 | tail -20 || true; exit 1; }

cleanup() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  docker rm -f "$NAME-locked" >/dev/null 2>&1 || true
  rm -rf "$STATE_DIR" "$TLS_DIR" "$LOCKED_DIR" "$BUILD_LOG"
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

docker info >/dev/null 2>&1 || { say "FAIL: no Docker engine answers (docker info)"; exit 1; }
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && ! docker pull "$BASE_IMAGE" >/dev/null 2>&1; then
  say "FAIL: the base image $BASE_IMAGE is neither present nor pullable; docker pull it first"
  exit 1
fi
engine="$(docker version -f '{{.Server.Version}}')"
HEALTH_ARGS=()
t=$(now)
if (( ${engine%%.*} >= 25 )); then
  docker build --network host -t "$IMAGE" . >"$BUILD_LOG" 2>&1 || { tail -30 "$BUILD_LOG"; fail "docker build"; }
else
  say "Docker Engine $engine predates HEALTHCHECK --start-interval (25): building without it and running with --health-interval 1s"
  HEALTH_ARGS=(--health-interval 1s)
  sed 's/ --start-interval=[^ ]*//' Dockerfile | docker build --network host -t "$IMAGE" -f - . >"$BUILD_LOG" 2>&1 \
    || { tail -30 "$BUILD_LOG"; fail "docker build"; }
fi
say "build: $(since "$t") s"
# The ID the last step of the build stage produced (the line before "FROM scratch").
STAGE_ID="$(grep -B1 -E '^Step [0-9]+/[0-9]+ : FROM scratch' "$BUILD_LOG" | grep -oE '[0-9a-f]{12}' | head -1 || true)"

size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
say "image size: ${size} bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB)"
(( size < MAX_BYTES )) || fail "image is ${size} bytes, not under ${MAX_BYTES}"
[[ "$(docker image inspect -f '{{.Config.User}}' "$IMAGE")" == "65532:65532" ]] || fail "image does not run as 65532"

# A bind-mounted state directory the image's user cannot write: the start is refused, naming
# the uid and the fix.
chmod 755 "$LOCKED_DIR"
set +e
refused=$(docker run --name "$NAME-locked" --network host -v "$LOCKED_DIR:/data" \
  -e TIM_EMULATOR_LISTEN="127.0.0.1:${PORT}" -e TIM_EMULATOR_STATE_FILE=/data/state.json \
  "$IMAGE" 2>&1)
code=$?
set -e
[[ $code == 2 ]] || fail "an unwritable state directory gave exit code $code, not 2: $refused"
[[ $refused == *"user id 65532"* && $refused == *"chown 65532 /data"* ]] \
  || fail "the refusal does not name uid 65532 and the chown fix: $refused"
say "unwritable bind mount refused: $refused"

chown 65532:65532 "$STATE_DIR" "$TLS_DIR"
t=$(now)
docker run -d --name "$NAME" --network host "${HEALTH_ARGS[@]}" \
  -v "$STATE_DIR:/data" -v "$TLS_DIR:/tls" \
  -e TIM_EMULATOR_LISTEN="127.0.0.1:${PORT}" \
  -e TIM_EMULATOR_HTTPS_LISTEN="127.0.0.1:${HTTPS_PORT}" \
  -e TIM_EMULATOR_TLS_CA_OUT=/tls/ca.pem \
  -e TIM_EMULATOR_STATE_FILE=/data/state.json \
  "$IMAGE" >/dev/null
wait_healthy "$t"

vendor im_open_login_svc/account_import '{"UserID":"leckie"}' | grep -q '"ErrorCode":0' || fail "account_import"
created=$(vendor group_open_http_svc/create_group \
  '{"Owner_Account":"leckie","Type":"Public","Name":"smoke","GroupId":"smoke-group","AppDefinedData":[{"Key":"k","Value":"a\u0000b"}]}')
echo "$created" | grep -q '"GroupId":"smoke-group"' || fail "create_group answered $created"
before=$(vendor group_open_http_svc/get_group_info '{"GroupIdList":["smoke-group"]}')
over_tls=$(curl -fsS --cacert "$TLS_DIR/ca.pem" "https://localhost:${HTTPS_PORT}/v4/group_open_http_svc/get_group_info?${Q}" \
  -d '{"GroupIdList":["smoke-group"]}') || fail "HTTPS with the written CA"
[[ "$before" == "$over_tls" ]] || fail "HTTPS answered $over_tls, HTTP $before"
say "HTTPS: the same answer over https://localhost:${HTTPS_PORT} with curl --cacert"

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
