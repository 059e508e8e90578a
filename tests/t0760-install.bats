#!/usr/bin/env bats
# make install PREFIX=... DESTDIR=...: the tree it makes, installed programs
# that run from where they are, man pages man finds, units that name the
# installed scripts and pass systemd-analyze verify.

load helper

setup_file() {
	fresh_db file
	ROOT=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/root.XXXXXX")
	export ROOT
	make -C "$CHM_ROOT" --no-print-directory install PREFIX=/opt/chm DESTDIR="$ROOT" >"$ROOT.log" 2>&1 ||
		{ cat "$ROOT.log" >&2; return 1; }
}

P=/opt/chm

@test "the tree: programs, man pages, SQL, pipelines, units, vendor mappings, env examples, Grafana" {
	cd "$ROOT$P"
	for f in "$CHM_ROOT"/bin/*.c; do
		p=$(basename "$f" .c)
		[ -x "bin/$p" ]
		[ -f "share/man/man1/$p.1" ]
	done
	diff -r "$CHM_ROOT/sql" share/chm/sql
	for s in airflow dbt_cloud vendor replay report alert; do
		[ -x "lib/chm/pipelines/$s.sh" ]
	done
	[ -f lib/chm/pipelines/common.sh ]
	for u in chm-ingest@.service chm-ingest@.timer chm-report.service chm-report.timer chm-alert.service chm-alert.timer; do
		[ -f "lib/systemd/system/$u" ]
	done
	[ "$(stat -c %a lib/systemd/system/chm-ingest@.service)" = 644 ]
	cmp "$CHM_ROOT/pipelines/vendors/rat.json" share/chm/vendor/rat.json
	cmp "$CHM_ROOT/pipelines/vendors/dq.json" share/chm/vendor/dq.json
	for e in dev staging prod; do
		[ -f "share/chm/env/$e.env" ]
	done
	[ -f share/chm/grafana/provisioning/datasources/chm.yaml ]
	[ -f share/chm/grafana/provisioning/dashboards/chm.yaml ]
	[ "$(ls share/chm/grafana/dashboards/*.json | wc -l)" -eq 2 ]
	# the provisioned copies name the provisioned datasource's uid
	[ "$(ls share/chm/grafana/provisioned/*.json | wc -l)" -eq 2 ]
	! grep -q 'DS_CHM' share/chm/grafana/provisioned/*.json
	grep -q '"uid": "chm-postgres"' share/chm/grafana/provisioned/chm-q1-q5-business.json
	# nothing outside the prefix
	assert_eq "$(ls "$ROOT")" opt
}

@test "installed programs run from the install tree alone: --version, chm runs its siblings" {
	for f in "$CHM_ROOT"/bin/*.c; do
		p=$(basename "$f" .c)
		run env -i PATH=/usr/bin:/bin "$ROOT$P/bin/$p" --version
		[ "$status" -eq 0 ]
		[[ "$output" == "$p "[0-9]* ]]
	done
	# chm finds chm-report next to itself, not on PATH
	run env -i PATH=/usr/bin:/bin "$ROOT$P/bin/chm" report --version
	[ "$status" -eq 0 ]
	[[ "$output" == "chm-report "* ]]
	# and a database is migrated and loaded by them (the SQL is inside)
	fresh_db installed
	"$ROOT$P/bin/chm" migrate >/dev/null
	run "$ROOT$P/bin/chm-load" "$FIXTURES/inventory.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field rejected)" 0
}

@test "man finds the installed pages" {
	for f in "$CHM_ROOT"/bin/*.c; do
		p=$(basename "$f" .c)
		assert_eq "$(MANPATH="$ROOT$P/share/man" man -w "$p")" "$ROOT$P/share/man/man1/$p.1"
	done
	assert_eq "$(MANPATH="$ROOT$P/share/man" man -w 5 chm-records)" "$ROOT$P/share/man/man5/chm-records.5"
}

@test "the units run the installed scripts with the installed programs, and verify" {
	u=$ROOT$P/lib/systemd/system
	grep -qx "ExecStart=$P/lib/chm/pipelines/%i.sh" "$u/chm-ingest@.service"
	grep -qx "ExecStart=$P/lib/chm/pipelines/report.sh" "$u/chm-report.service"
	grep -qx "Environment=CHM_BINDIR=$P/bin" "$u/chm-ingest@.service"
	grep -qx "Environment=CHM_BINDIR=$P/bin" "$u/chm-report.service"
	! grep -q /usr/local "$u"/*
	# the env examples name the installed vendor mapping
	for e in dev staging prod; do
		m=$(sed -n 's/^CHM_VENDOR_MAPPING=//p' "$ROOT$P/share/chm/env/$e.env")
		assert_eq "$m" "$P/share/chm/vendor/rat.json"
	done
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	# verify checks that ExecStart= exists: point it into DESTDIR
	mkdir -p "$BATS_TEST_TMPDIR/units"
	for f in "$u"/*; do
		sed "s|=$P/|=$ROOT$P/|g" "$f" >"$BATS_TEST_TMPDIR/units/${f##*/}"
	done
	cd "$BATS_TEST_TMPDIR/units"
	ln -s chm-ingest@.service chm-ingest@airflow.service
	ln -s chm-ingest@.timer chm-ingest@airflow.timer
	run systemd-analyze verify --man=no "$PWD/chm-ingest@airflow.service" "$PWD/chm-ingest@airflow.timer" \
		"$PWD/chm-report.service" "$PWD/chm-report.timer"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "an installed pipeline script loads with the installed programs (CHM_BINDIR as the unit sets it)" {
	fresh_db script
	"$ROOT$P/bin/chm" migrate >/dev/null
	"$ROOT$P/bin/chm-load" "$FIXTURES/inventory.ndjson" >/dev/null
	run --separate-stderr env PATH=/usr/bin:/bin CHM_BINDIR="$ROOT$P/bin" CHM_STATE_DIR="$BATS_TEST_TMPDIR/state" \
		"$ROOT$P/lib/chm/pipelines/replay.sh" "$FIXTURES/runs/history.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field rejected)" 0
	[ "$(q "SELECT count(*) FROM runs")" -gt 10 ]
}

@test "the default PREFIX is /usr/local, where the units already point" {
	root=$BATS_TEST_TMPDIR/default
	make -C "$CHM_ROOT" --no-print-directory install DESTDIR="$root" >/dev/null
	[ -x "$root/usr/local/bin/chm-load" ]
	[ -f "$root/usr/local/share/man/man1/chm-load.1" ]
	grep -qx "ExecStart=/usr/local/lib/chm/pipelines/%i.sh" "$root/usr/local/lib/systemd/system/chm-ingest@.service"
	[ -x "$root/usr/local/lib/chm/pipelines/airflow.sh" ]
	grep -qx "CHM_VENDOR_MAPPING=/usr/local/share/chm/vendor/rat.json" "$root/usr/local/share/chm/env/prod.env"
}
