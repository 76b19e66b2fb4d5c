# 网签 — the two commands: `make run` (embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py

WEB_ASSETS := app/web/assets
VENDOR := app/web/static/vendor

.PHONY: install fonts run lint test test-py test-js bench migrate clean

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

install: $(BIN)/.installed $(VENDOR)/.installed fonts

# The e-agreement PDF embeds a TrueType CJK font: Debian's fonts-wqy-microhei, installed here
# when missing (as root, e.g. CI), unless WQ_DOCUMENT_FONT names another TrueType font.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
fonts:
	@if [ -z "$$WQ_DOCUMENT_FONT" ] && [ ! -f $(CJK_FONT) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing fonts-wqy-microhei (the e-agreement's CJK font)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; \
	  else \
	    echo "missing $(CJK_FONT): run 'sudo apt-get install fonts-wqy-microhei' or set WQ_DOCUMENT_FONT" >&2; exit 1; \
	  fi; \
	fi

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
	WQ_PUBLIC_BASE_URL=$${WQ_PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} \
	FLASK_APP=devapp.py $(BIN)/flask run --host $(HOST) --port $(PORT) --with-threads

test: lint test-py test-js

# ruff (pyproject.toml) and the layer contracts (.importlinter: entry points over services over
# models over the domain; the WeChat clients import nothing of app; production never imports
# the emulator).
lint: install
	$(BIN)/ruff check app wechat tests migrations devapp.py wsgi.py
	$(BIN)/lint-imports

test-py: install
	$(BIN)/python -m pytest -q

# The mini-program's jest suite, with its contract test reading the backend's OpenAPI document.
test-js: install
	$(BIN)/flask export-openapi miniprogram/test/openapi.json
	cd miniprogram && npm ci --no-audit --no-fund --loglevel=error && npm test -- --ci

# QUALITY.md's performance table, measured from outside as deployed: gunicorn (README's command,
# ephemeral port), RQ workers, the WeChat emulator served apart, MariaDB + Redis, wrk on loopback.
# Writes bench-results/*.json. Never part of `make test`. Databases and Redis db: see README.
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m pytest -q -s -p no:cacheprovider tests/bench -o testpaths=tests/bench \
		-o addopts="-ra --strict-markers"; status=$$?; $(BIN)/python -m tests.bench.report; exit $$status

clean:
	rm -rf $(VENV) instance .pytest_cache $(VENDOR) $(WEB_ASSETS)/node_modules test-artifacts
