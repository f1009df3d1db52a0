# Two commands do everything on a fresh machine (Python 3.11, no GPU):
#   make run    install what is needed, prepare the database, serve http://127.0.0.1:8000
#   make test   install what is needed, run the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench migrations-check browsers testdata postgres test-postgres services services-stop \
	test-services

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; run with PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed since the last install.
$(STAMP): requirements.txt requirements-dev.txt requirements-nodeps.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip==25.2
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	EMOPIC_WARMUP_MODELS=True $(BIN)/python manage.py runserver 127.0.0.1:8000

# Headless Chromium for the browser tests (Debian's package; needs root or sudo).
browsers:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

# Full-body sample photos for the composition tests: OpenCV's own sample data, from Debian's
# opencv-doc package, unpacked under .cache/ (no root needed unless the package lists are missing).
OPENCV_SAMPLES := .cache/opencv-samples
OPENCV_FILES := basketball1.png messi5.jpg vtest.avi
testdata: $(OPENCV_SAMPLES)/.done
$(OPENCV_SAMPLES)/.done:
	mkdir -p .cache/deb $(OPENCV_SAMPLES)
	cd .cache/deb && { apt-get download opencv-doc 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi; apt-get download opencv-doc; }; }
	dpkg-deb --fsys-tarfile .cache/deb/opencv-doc_*.deb | tar -x -C .cache/deb \
	  $(addprefix ./usr/share/doc/opencv-doc/examples/data/,$(OPENCV_FILES))
	cp $(addprefix .cache/deb/usr/share/doc/opencv-doc/examples/data/,$(OPENCV_FILES)) $(OPENCV_SAMPLES)/
	rm -rf .cache/deb
	touch $@

test: install browsers testdata
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null
	$(BIN)/python -m pytest

# The suite again on PostgreSQL (Debian's package, started on loopback), the production database.
PG_ENV := EMOPIC_POSTGRES_DB=emopic EMOPIC_POSTGRES_USER=emopic EMOPIC_POSTGRES_PASSWORD=emopic \
	EMOPIC_POSTGRES_HOST=127.0.0.1 EMOPIC_POSTGRES_PORT=5432
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
postgres:
	@command -v pg_ctlcluster >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql >/dev/null; }
	@version=$$(ls /usr/lib/postgresql | sort -V | tail -1); \
	  $(SUDO) pg_ctlcluster $$version main start 2>/dev/null || pg_lsclusters | grep -q online
	@$(SUDO) su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='emopic'\"" | grep -q 1 || \
	  $(SUDO) su postgres -c "psql -qc \"CREATE USER emopic WITH PASSWORD 'emopic' CREATEDB\""

test-postgres: install testdata postgres
	$(PG_ENV) $(BIN)/python -m pytest -m "not browser" -p no:cacheprovider

# The scale-out services on loopback, for the `services` tests: Debian's Redis (the channel layer, the job queue)
# and moto's S3 API server (object storage). Starting is a no-op while they answer; `make services-stop` ends them.
REDIS_PORT := 6390
S3_PORT := 9390
SERVICES := .cache/services
MOTO := $(SERVICES)/moto-$(S3_PORT)
SERVICES_ENV := EMOPIC_REDIS_URL=redis://127.0.0.1:$(REDIS_PORT)/0 EMOPIC_S3_BUCKET=emopic-test \
	EMOPIC_S3_ENDPOINT_URL=http://127.0.0.1:$(S3_PORT) EMOPIC_S3_REGION=us-east-1 \
	EMOPIC_S3_ACCESS_KEY=testing EMOPIC_S3_SECRET_KEY=testing
S3_ANSWERS := $(BIN)/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$(S3_PORT)/', timeout=2)"
services: install
	@command -v redis-server >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server >/dev/null; }
	@mkdir -p $(SERVICES)
	@redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping 2>/dev/null | grep -q PONG || \
	  redis-server --bind 127.0.0.1 --port $(REDIS_PORT) --daemonize yes --save '' --appendonly no \
	    --dir $(CURDIR)/$(SERVICES) --pidfile $(CURDIR)/$(SERVICES)/redis-$(REDIS_PORT).pid \
	    --logfile $(CURDIR)/$(SERVICES)/redis-$(REDIS_PORT).log
	@$(S3_ANSWERS) 2>/dev/null || { \
	  nohup $(BIN)/moto_server -H 127.0.0.1 -p $(S3_PORT) </dev/null >$(MOTO).log 2>&1 & echo $$! >$(MOTO).pid; }
	@for i in $$(seq 150); do \
	  redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping 2>/dev/null | grep -q PONG && $(S3_ANSWERS) 2>/dev/null && exit 0; \
	  sleep 0.2; \
	done; echo "Redis on :$(REDIS_PORT) or the S3 server on :$(S3_PORT) does not answer; see $(SERVICES)/*.log"; exit 1

services-stop:
	@redis-cli -h 127.0.0.1 -p $(REDIS_PORT) shutdown nosave 2>/dev/null || true
	@if [ -f $(MOTO).pid ]; then \
	  ps -p $$(cat $(MOTO).pid) -o args= | grep -q moto_server && kill $$(cat $(MOTO).pid); rm -f $(MOTO).pid; fi

# The `services` tests: media in S3, the channel layer and jobs on Redis, rows in PostgreSQL (a test database of
# their own, so that a `make test-postgres` running beside them keeps its). A server that does not answer fails them.
test-services: install testdata postgres services
	$(PG_ENV) EMOPIC_POSTGRES_DB=emopic_services $(SERVICES_ENV) EMOPIC_SERVICES_REQUIRED=True \
	  $(BIN)/python -m pytest -m services -p no:cacheprovider

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install testdata
	$(BIN)/python bench/idphoto.py && $(BIN)/python bench/emoticon.py && $(BIN)/python bench/seasons.py && $(BIN)/python bench/suit.py \
	  && $(BIN)/python bench/composition.py
