#!/usr/bin/env bash
# A real S3-compatible server on localhost for the store tests (issue 13): SeaweedFS's `weed mini`
# (master + volume + filer + S3 gateway in one process), built from the Go module proxy.
#
#   scripts/s3-server.sh install              # build weed into $(go env GOPATH)/bin unless present (minutes)
#   scripts/s3-server.sh path                 # print the weed binary, exit 1 if none
#   scripts/s3-server.sh start <dir> [port]   # start on 127.0.0.1:<port> (default 18333), data in <dir>;
#                                             # prints the env a client needs (export lines)
#   scripts/s3-server.sh stop <dir>
#
# Credentials and bucket: NEARDUP_S3_ACCESS_KEY (default neardup), NEARDUP_S3_SECRET_KEY (default
# neardup-secret-key), NEARDUP_S3_BUCKET (default neardup); `weed mini` creates the 'mini' identity
# from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket from -bucket at start.
# Ports used: port (S3), port+1 master, port+2 volume, port+3 filer, port+4 admin, each also +10000 (gRPC).
set -euo pipefail

WEED_MODULE=github.com/seaweedfs/seaweedfs
# Pinned: the version the Go module proxy serves here (its go.mod needs Go >= 1.26.6).
WEED_VERSION=v0.0.0-20261109003541-7506e5f91cd6

weed_path() {
  if [ -n "${NEARDUP_WEED:-}" ] && [ -x "$NEARDUP_WEED" ]; then echo "$NEARDUP_WEED"; return 0; fi
  if command -v weed >/dev/null 2>&1; then command -v weed; return 0; fi
  local gobin
  gobin="$(go env GOBIN 2>/dev/null || true)"
  [ -n "$gobin" ] || gobin="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
  if [ -x "$gobin/weed" ]; then echo "$gobin/weed"; return 0; fi
  if [ -x "$HOME/go/bin/weed" ]; then echo "$HOME/go/bin/weed"; return 0; fi
  return 1
}

install_weed() {
  if p="$(weed_path)"; then echo "weed already installed: $p"; return 0; fi
  command -v go >/dev/null 2>&1 || { echo "s3-server: the go command is needed to build SeaweedFS (apt-get install golang-go, Go >= 1.26.6)" >&2; exit 1; }
  # `go install pkg@version` refuses modules whose go.mod has replace directives (SeaweedFS has one),
  # so the module is downloaded from the proxy and built inside its own module folder.
  local dir gobin
  dir="$(go mod download -json "$WEED_MODULE@$WEED_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
  [ -d "$dir" ] || { echo "s3-server: go mod download $WEED_MODULE@$WEED_VERSION gave no folder" >&2; exit 1; }
  gobin="$(go env GOBIN)"
  [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
  mkdir -p "$gobin"
  echo "building weed $WEED_VERSION into $gobin (takes minutes)"
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$gobin/weed.tmp" ./weed) && mv "$gobin/weed.tmp" "$gobin/weed"
  echo "installed $gobin/weed"
}

start_weed() {
  local dir="${1:?start <dir> [port]}" port="${2:-18333}" weed
  weed="$(weed_path)" || { echo "s3-server: weed is not installed; run scripts/s3-server.sh install" >&2; exit 1; }
  local key="${NEARDUP_S3_ACCESS_KEY:-neardup}" secret="${NEARDUP_S3_SECRET_KEY:-neardup-secret-key}" bucket="${NEARDUP_S3_BUCKET:-neardup}"
  mkdir -p "$dir/data"
  if [ -f "$dir/weed.pid" ] && kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null; then
    echo "s3-server: already running (pid $(cat "$dir/weed.pid"))" >&2
  else
    AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" setsid "$weed" mini -dir="$dir/data" \
      -ip=127.0.0.1 -ip.bind=127.0.0.1 -bucket="$bucket" \
      -s3.port="$port" -master.port=$((port + 1)) -volume.port=$((port + 2)) -filer.port=$((port + 3)) \
      -admin.port=$((port + 4)) -admin.port.legacy=0 -admin.ui=false -webdav=false \
      -s3.port.iceberg=0 -s3.port.lance=0 >"$dir/weed.log" 2>&1 </dev/null &
    echo $! >"$dir/weed.pid"
  fi
  # Ready when the S3 gateway answers and the bucket exists (an unsigned HEAD of an existing bucket
  # is refused with 403; of a missing one, 404).
  local t=0 code=000
  while [ $t -lt 240 ]; do
    code="$(curl -s -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$port/$bucket" || true)"
    case "$code" in 200|403) break ;; esac
    kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null || { echo "s3-server: weed exited; log:" >&2; tail -30 "$dir/weed.log" >&2; exit 1; }
    sleep 0.5; t=$((t + 1))
  done
  case "$code" in 200|403) ;; *) echo "s3-server: not ready after 120 s (HTTP $code); log:" >&2; tail -30 "$dir/weed.log" >&2; exit 1 ;; esac
  echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$port"
  echo "export AWS_ACCESS_KEY_ID=$key"
  echo "export AWS_SECRET_ACCESS_KEY=$secret"
  echo "export AWS_REGION=us-east-1"
  echo "export NEARDUP_S3_BUCKET=$bucket"
}

stop_weed() {
  local dir="${1:?stop <dir>}"
  [ -f "$dir/weed.pid" ] || return 0
  local pid
  pid="$(cat "$dir/weed.pid")"
  # setsid made weed a process-group leader: end that group only.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$dir/weed.pid"
}

case "${1:-}" in
  install) install_weed ;;
  path) weed_path ;;
  start) shift; start_weed "$@" ;;
  stop) shift; stop_weed "$@" ;;
  *) echo "usage: $0 install | path | start <dir> [port] | stop <dir>" >&2; exit 2 ;;
esac
