#!/usr/bin/env bash
# Starts the action server (port 5055) and then either the Rasa server with its
# REST channel (port 5005, `run`) or the command-line chat (`shell`).
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

if [ "$MODE" != rasa ]; then
.venv/bin/rasa run actions --port "$ACTIONS_PORT" --actions actions.actions &
ACTIONS_PID=$!
trap 'kill "$ACTIONS_PID" 2>/dev/null || true; wait "$ACTIONS_PID" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 120); do
  if .venv/bin/python - "$ACTIONS_PORT" <<'PY' 2>/dev/null; then break; fi
import sys, urllib.request; urllib.request.urlopen(f"http://localhost:{sys.argv[1]}/health", timeout=1)
PY
  if ! kill -0 "$ACTIONS_PID" 2>/dev/null; then echo "The action server failed to start (see above)." >&2; exit 1; fi
  sleep 0.5
done
fi

if [ "$MODE" = shell ]; then
  .venv/bin/python -m addons.server.serve shell -m "$MODEL" --endpoints endpoints.yml
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
