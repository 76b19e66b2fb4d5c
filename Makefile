# 网签 — the two commands: `make run` (embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py

WEB_ASSETS := app/web/assets
VENDOR := app/web/static/vendor

.PHONY: install run test test-py test-js bench migrate clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

# The desktop pages' front-end assets: from npm with the lockfile, served from our own folder.
$(VENDOR)/.installed: $(WEB_ASSETS)/package-lock.json
	cd $(WEB_ASSETS) && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp $(WEB_ASSETS)/node_modules/bootstrap/dist/css/bootstrap.min.css \
	   $(WEB_ASSETS)/node_modules/bootstrap/dist/css/bootstrap.min.css.map \
	   $(WEB_ASSETS)/node_modules/htmx.org/dist/htmx.min.js \
	   $(WEB_ASSETS)/node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	touch $@

install: $(BIN)/.installed $(VENDOR)/.installed

migrate: install
	$(BIN)/flask db upgrade

# `make run PORT=5101` (and HOST=…) serve elsewhere: the app then calls its WeChat emulator on
# that same address, unless WQ_WECHAT__API_BASE says otherwise.
run: migrate
	$(BIN)/flask load-dicts
	$(BIN)/flask demo-data --base-url http://$(HOST):$(PORT)
	@echo
	@echo "  网签 is serving on http://$(HOST):$(PORT)"
	@echo "  health:   http://$(HOST):$(PORT)/healthz"
	@echo "  log-in:   http://$(HOST):$(PORT)/login"
	@echo "  emulator: http://$(HOST):$(PORT)/_emulator/  (JSON: /_emulator/api/sms, /_emulator/api/messages)"
	@echo
	WQ_WECHAT__EMULATOR=$${WQ_WECHAT__EMULATOR:-true} \
	WQ_WECHAT__API_BASE=$${WQ_WECHAT__API_BASE:-http://$(HOST):$(PORT)/_emulator} \
	$(BIN)/flask run --host $(HOST) --port $(PORT) --with-threads

test: test-py test-js

test-py: install
	$(BIN)/python -m pytest -q

# The mini-program's jest suite, with its contract test reading the backend's OpenAPI document.
test-js: install
	$(BIN)/flask export-openapi miniprogram/test/openapi.json
	cd miniprogram && npm ci --no-audit --no-fund --loglevel=error && npm test -- --ci

bench: install
	$(BIN)/python -m pytest -q -s tests/bench -o testpaths=tests/bench

clean:
	rm -rf $(VENV) instance .pytest_cache $(VENDOR) $(WEB_ASSETS)/node_modules test-artifacts
