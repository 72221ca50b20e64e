#!/usr/bin/env bash
# Starts the action server (port 5055) and then either the Rasa server with its
# REST channel (port 5005, `run`) or, for the command-line chat (`shell`), a Rasa
# server of its own on loopback (SHELL_PORT, 5006) and the chat client in front of it.
# `rasa` starts only the Rasa server (action servers elsewhere: ACTION_SERVER_URL),
# `actions` only an action server (both for several servers behind a load balancer).
# Ports: RASA_PORT, ACTIONS_PORT. Stores: DATABASE_URL, REDIS_URL (docs/deployment.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
# Third-party deprecation warnings are for whoever upgrades them (see pyproject.toml).
export PYTHONWARNINGS=ignore::DeprecationWarning,ignore::PendingDeprecationWarning
MODE=${1:-run}
RASA_PORT=${RASA_PORT:-5005}
# Loopback unless told otherwise: a deployment sets RASA_INTERFACE=0.0.0.0 and REST_TOKEN
# (or REST_CHANNEL=false); the run command refuses an open REST channel beyond loopback.
RASA_INTERFACE=${RASA_INTERFACE:-127.0.0.1}
MODEL=${MODEL:-models/pulpcare.tar.gz}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
if [ "$MODE" = actions ]; then
  exec .venv/bin/rasa run actions --port "$ACTIONS_PORT" --actions actions.actions
fi
export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://localhost:$ACTIONS_PORT/webhook}

# Start-up checks before anything starts: the tracker database (DATABASE_URL or the
# SQLite file) and Redis (REDIS_URL, if set) answer; otherwise one line naming the setting.
.venv/bin/python -m addons.server.serve --check --interface "$RASA_INTERFACE" --credentials credentials.yml

# `shell`: the servers write to log files, the terminal is the chat's.
if [ "$MODE" = shell ]; then
  mkdir -p var/log
  actions_log=var/log/shell-actions.log
  echo "Starting the assistant for the command-line chat (about 20 seconds; logs in var/log/)..." >&2
fi

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

if [ "$MODE" != rasa ]; then
  if [ -n "${actions_log:-}" ]; then
    .venv/bin/rasa run actions --port "$ACTIONS_PORT" --actions actions.actions >"$actions_log" 2>&1 &
  else
    .venv/bin/rasa run actions --port "$ACTIONS_PORT" --actions actions.actions &
  fi
  ACTIONS_PID=$!
  PIDS+=("$ACTIONS_PID")
fi

if [ "$MODE" = shell ]; then
  # The chat is a client of a Rasa server of its own (loopback, SHELL_PORT), through the
  # command-line channel (addons/channels/shell.py), on with a new secret each time.
  SHELL_PORT=${SHELL_PORT:-5006}
  SHELL_TOKEN=${SHELL_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')}
  export SHELL_TOKEN
  .venv/bin/python -m addons.server.serve -m "$MODEL" --port "$SHELL_PORT" --interface 127.0.0.1 \
    --credentials credentials.yml --endpoints endpoints.yml >var/log/shell-rasa.log 2>&1 &
  rasa_pid=$!
  PIDS+=("$rasa_pid")
fi

if [ "$MODE" != rasa ]; then
  # Wait for the action server (and, for the chat, the Rasa server: it listens once the
  # model is loaded), so the first answer is a real one.
  .venv/bin/python - "$ACTIONS_PORT" "${SHELL_PORT:-}" "$ACTIONS_PID" "${rasa_pid:-}" <<'PY' || exit 1
import os, sys, time, urllib.error, urllib.request
actions, shell, actions_pid, rasa_pid = sys.argv[1:5]
urls = [f"http://localhost:{actions}/health"] + ([f"http://127.0.0.1:{shell}/webhooks/shell/"] if shell else [])
pids = {f"http://localhost:{actions}/health": (actions_pid, "The action server"),
        f"http://127.0.0.1:{shell}/webhooks/shell/": (rasa_pid, "The Rasa server (see var/log/shell-rasa.log)")}
deadline = time.time() + 300
while urls:
    url = urls[0]
    try:
        urllib.request.urlopen(url, timeout=1)
        urls.pop(0)
        continue
    except urllib.error.HTTPError:
        urls.pop(0)
        continue
    except OSError:
        pass
    pid, name = pids[url]
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        sys.exit(f"{name} failed to start.")
    if time.time() > deadline:
        sys.exit(f"{name} did not start within 5 minutes.")
    time.sleep(0.3)
PY
fi

if [ "$MODE" = shell ]; then
  .venv/bin/python -m addons.shell --url "http://127.0.0.1:$SHELL_PORT"  # CHANNEL: web or sms
else
  echo "Action server: $ACTION_SERVER_URL   Rasa server: http://$RASA_INTERFACE:$RASA_PORT"
  echo "REST channel:  POST http://localhost:$RASA_PORT/webhooks/rest/webhook {\"sender\": \"...\", \"message\": \"...\"}"
  echo "Chat widget:   http://localhost:$RASA_PORT/widget/  (demo page; embed script: http://localhost:$RASA_PORT/widget/widget.js)"
  if [ -n "${RASA_AUTH_TOKEN:-}${RASA_JWT_SECRET:-}" ]; then
    echo "HTTP API:      on, with its secret (SMS check-ins: make followup PHONE=+1... PROCEDURE=pulpotomy)"
  fi
  # `rasa run` behind the start-up checks (addons/server/serve.py): the HTTP API only with a
  # secret from the environment (never on a command line), CORS from practice.yml.
  .venv/bin/python -m addons.server.serve -m "$MODEL" --port "$RASA_PORT" --interface "$RASA_INTERFACE" \
    --credentials credentials.yml \
    --endpoints endpoints.yml
fi
