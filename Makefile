# make run    set up if needed, train if data/config changed, start the assistant
# make shell [CHANNEL=sms]  the command-line chat (a preview of the widget, or of the SMS texts)
# make test   set up, train, then every test (lint, data validation, pytest, test stories)
# make test-fast  unit tests only (no servers, no training): the edit-test loop, under a minute
# make lint   ruff (lint and format check), mypy, ESLint for the widget
# make widget build the website chat widget into build/widget (served by `make run` at /widget/)
# make eval   held-out accuracy, per-intent F1, out-of-scope and red-flag figures
# make bench  this assistant against Rasa's starter bot: latency, throughput, memory, training
# make followup PHONE=+15551234567 PROCEDURE=pulpotomy [WHEN=2h|2026-12-02T18:00|now]  schedule the SMS check-in(s)
# make followup-list [PHONE=...] [ALL=1]   check-ins waiting to be sent (ALL=1: every one)
# make followup-cancel ID=12               cancel a scheduled check-in
# make retention DAYS=90   delete conversations older than DAYS days from the tracker store
# make review FROM=2026-01-01 TO=2026-03-31   HTML report of what parents asked and what the practice heard (results/review/)
# make content-report   every answer and safety threshold on one HTML page, for the dentist's sign-off
# make migrate-ids [DRY_RUN=1]  rename stored conversations to channel-prefixed ids (once)
# make staff-user EMAIL=ana@practice.com [ROLE=admin] [INVITE=1|DISABLE=1]  a staff console account (password asked, not shown), an invitation link, or disable one
# make staff-users   the staff console's accounts
SHELL := /bin/bash
.DEFAULT_GOAL := help
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2

# Third-party deprecation warnings are for whoever upgrades them (the tests show the
# ones not filtered by name in pyproject.toml); the commands people run stay readable.
QUIET_WARNINGS := PYTHONWARNINGS=ignore::DeprecationWarning,ignore::PendingDeprecationWarning

VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
RASA   := $(BIN)/rasa
SPACY_MODEL := build/spacy_en_pulpcare
SPACY_MODEL_ES := build/spacy_es_pulpcare
MODEL  := models/pulpcare.tar.gz
# What the trained model depends on: the data, the config, the spaCy pipeline, the NLU
# package (addons/nlu/: components, classifier, red-flag patterns) and the names it uses.
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
                $(SPACY_MODEL)/meta.json $(SPACY_MODEL_ES)/meta.json $(shell find addons/nlu -name '*.py' -o -name '*.yml') \
                common/names.py common/language.py

.PHONY: help setup train run shell test test-fast lint format validate pytest stories eval bench \
        followup followup-list followup-cancel retention review content-report migrate-ids \
        staff-user staff-users clean

help:
	@sed -n '/^SHELL/q;p' Makefile

setup: $(VENV)/.installed $(SPACY_MODEL)/meta.json $(SPACY_MODEL_ES)/meta.json

$(VENV)/.installed: requirements.txt requirements.lock scripts/bootstrap_venv.sh
	bash scripts/bootstrap_venv.sh
	touch $@

$(SPACY_MODEL)/meta.json: $(VENV)/.installed spacy_pipeline/config.cfg spacy_pipeline/entities.yml scripts/build_spacy.py
	rm -rf $(SPACY_MODEL)
	$(PY) scripts/build_spacy.py $(SPACY_MODEL) > /dev/null
	@echo "spaCy pipeline assembled in $(SPACY_MODEL)"

# The Spanish pipeline's lemma table is trimmed to the words of the Spanish data.
$(SPACY_MODEL_ES)/meta.json: $(VENV)/.installed spacy_pipeline/config_es.cfg spacy_pipeline/entities_es.yml \
		spacy_pipeline/lemmas_es.yml scripts/build_spacy.py addons/nlu/red_flags_es.yml \
		$(shell find data/nlu/es -name '*.yml' 2>/dev/null)
	rm -rf $(SPACY_MODEL_ES)
	$(PY) scripts/build_spacy.py $(SPACY_MODEL_ES) es > /dev/null
	@echo "spaCy pipeline assembled in $(SPACY_MODEL_ES)"

# The website chat widget: widget/ (plain JS and CSS) -> build/widget/ with esbuild.
# npm ci when the lockfile changes, a rebuild when a source changes.
.PHONY: widget
WIDGET := build/widget/widget.js
WIDGET_SRC := widget/build.mjs $(shell find widget/src widget/demo -type f 2>/dev/null)
NODE_DEPS := widget/node_modules/.package-lock.json

widget: $(WIDGET)

$(NODE_DEPS): widget/package.json widget/package-lock.json widget/.npmrc
	cd widget && npm ci --no-audit --no-fund
	touch $@

$(WIDGET): $(NODE_DEPS) $(WIDGET_SRC)
	cd widget && npm run --silent build

$(MODEL): $(VENV)/.installed $(TRAIN_INPUTS)
	@echo "Training the model (data, config or addons/nlu changed; about a minute)..."
	$(QUIET_WARNINGS) $(RASA) train --quiet --fixed-model-name pulpcare --out models
	touch $@

train: setup $(MODEL)

run: train widget
	bash scripts/run.sh run

shell: train widget
	bash scripts/run.sh shell

validate: setup
	$(RASA) data validate --fail-on-warnings

pytest: train widget
	$(BIN)/pytest tests

stories: train
	$(RASA) test core --model $(MODEL) --stories tests/test_stories \
	  --fail-on-prediction-errors --out results/stories

test: lint widget validate pytest stories

# Unit tests: no server, no database, no browser, no trained model.
test-fast: setup
	$(BIN)/pytest -q -m "not e2e and not services and not slow"

lint: setup $(NODE_DEPS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd widget && npm run --silent lint

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Staff: schedule the check-in(s) after a procedure (WHEN: a delay like 2h, a date-time
# in practice time, or now; without it the practice's plan). Written to the database
# the servers use; the running assistant (`make run`) sends each once at its time.
followup: setup
	@$(PY) -m addons.staff.followup --phone "$(PHONE)" --procedure "$(PROCEDURE)" $(if $(WHEN),--when "$(WHEN)")

followup-list: setup
	@$(PY) -m addons.staff.followup --list $(if $(PHONE),--phone "$(PHONE)") $(if $(ALL),--all)

followup-cancel: setup
	@$(PY) -m addons.staff.followup --cancel "$(ID)"

# Practice staff: privacy and review, on the store the server uses (DATABASE_URL or
# the SQLite file var/tracker.db). See docs/operations.md.
DAYS ?= 90
retention: setup
	@$(PY) -m addons.staff.retention --days "$(DAYS)"

# Once, after upgrading to channel-prefixed conversation ids (servers stopped).
migrate-ids: setup
	@$(PY) -m addons.staff.migrate_ids $(if $(DRY_RUN),--dry-run)

review: setup
	@$(PY) -m addons.staff.review $(if $(FROM),--from "$(FROM)") $(if $(TO),--to "$(TO)") $(if $(OUT),--out "$(OUT)")

# The staff console's accounts (/staff/, addons/staff/console/): the password is read
# twice without echo; INVITE=1 prints a one-time link instead (72 h), where the person
# sets their own; DISABLE=1 disables the account and signs it out everywhere.
staff-user: setup
	@test -n "$(EMAIL)" || { echo "usage: make staff-user EMAIL=name@practice.com [ROLE=admin] [INVITE=1|DISABLE=1]" >&2; exit 2; }
	@$(PY) -m addons.staff.console $(if $(DISABLE),disable,$(if $(INVITE),invite,add-user)) --email "$(EMAIL)" $(if $(DISABLE),,$(if $(ROLE),--role "$(ROLE)"))

staff-users: setup
	@$(PY) -m addons.staff.console list

# Every answer, SMS text and safety threshold as parents see them, for the dentist to
# sign off before going live (PRACTICE: another practice file; OUT: another file).
content-report: setup
	@$(PY) -m addons.staff.content_report $(if $(OUT),--out "$(OUT)") $(if $(PRACTICE),--practice "$(PRACTICE)")

eval: train
	$(PY) scripts/evaluate_heldout.py $(MODEL) --blind

bench: train
	$(PY) bench/bench.py

clean:
	rm -rf build results models/*.tar.gz
