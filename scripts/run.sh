#!/usr/bin/env bash
# Starts the action server (port 5055) and then either the Rasa server with its
# REST channel (port 5005, `run`) or the command-line chat (`shell`).
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
MODE=${1:-run}
RASA_PORT=${RASA_PORT:-5005}
MODEL=${MODEL:-models/pulpcare.tar.gz}

.venv/bin/rasa run actions --port 5055 --actions actions.actions &
ACTIONS_PID=$!
trap 'kill "$ACTIONS_PID" 2>/dev/null || true; wait "$ACTIONS_PID" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 120); do
  if .venv/bin/python - <<'PY' 2>/dev/null; then break; fi
import urllib.request; urllib.request.urlopen("http://localhost:5055/health", timeout=1)
PY
  if ! kill -0 "$ACTIONS_PID" 2>/dev/null; then echo "The action server failed to start (see above)." >&2; exit 1; fi
  sleep 0.5
done

if [ "$MODE" = shell ]; then
  .venv/bin/rasa shell -m "$MODEL" --endpoints endpoints.yml
else
  echo "Action server: http://localhost:5055   Rasa server: http://localhost:$RASA_PORT"
  echo "REST channel:  POST http://localhost:$RASA_PORT/webhooks/rest/webhook {\"sender\": \"...\", \"message\": \"...\"}"
  .venv/bin/rasa run -m "$MODEL" --port "$RASA_PORT" --credentials credentials.yml --endpoints endpoints.yml
fi
