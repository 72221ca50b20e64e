# make run    set up if needed, train if data/config changed, start the assistant
# make shell  the same, then the command-line chat
# make test   set up, train, then every test (data validation, pytest, test stories)
# make eval   held-out accuracy, per-intent F1, out-of-scope and red-flag figures
# make bench  this assistant against Rasa's starter bot: latency, throughput, memory, training
SHELL := /bin/bash
.DEFAULT_GOAL := help
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2

VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
RASA   := $(BIN)/rasa
SPACY_MODEL := build/spacy_en_pulpcare
MODEL  := models/pulpcare.tar.gz
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
                $(SPACY_MODEL)/meta.json $(wildcard addons/*.py)

.PHONY: help setup train run shell test validate pytest stories eval bench clean

help:
	@sed -n '1,6p' Makefile

setup: $(VENV)/.installed $(SPACY_MODEL)/meta.json

$(VENV)/.installed: requirements.txt requirements.lock scripts/bootstrap_venv.sh
	bash scripts/bootstrap_venv.sh
	touch $@

$(SPACY_MODEL)/meta.json: $(VENV)/.installed spacy_pipeline/config.cfg spacy_pipeline/entities.yml scripts/build_spacy.py
	rm -rf $(SPACY_MODEL)
	$(PY) scripts/build_spacy.py $(SPACY_MODEL) > /dev/null
	@echo "spaCy pipeline assembled in $(SPACY_MODEL)"

$(MODEL): $(VENV)/.installed $(TRAIN_INPUTS)
	$(RASA) train --fixed-model-name pulpcare --out models
	touch $@

train: setup $(MODEL)

run: train
	bash scripts/run.sh run

shell: train
	bash scripts/run.sh shell

validate: setup
	$(RASA) data validate --fail-on-warnings

pytest: train
	$(BIN)/pytest tests

stories: train
	$(RASA) test core --model $(MODEL) --stories tests/test_stories \
	  --fail-on-prediction-errors --out results/stories

test: validate pytest stories

eval: train
	$(PY) scripts/evaluate_heldout.py $(MODEL)

bench: train
	$(PY) bench/bench.py

clean:
	rm -rf build results models/*.tar.gz
