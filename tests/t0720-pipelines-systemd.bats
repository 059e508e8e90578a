#!/usr/bin/env bats
# pipelines/systemd: every unit passes systemd-analyze verify, keeps secrets
# out of the unit and the environment, is hardened, restarts on 75 only;
# the env examples keep dev, staging and prod apart (SE-004).

load helper

UNITS="$CHM_ROOT/pipelines/systemd"
ENVS="$CHM_ROOT/pipelines/env"

# The units with their ExecStart= paths moved under a temporary root that
# holds the scripts, since verify checks that the command exists.
stage_units() {
	local root=$BATS_TEST_TMPDIR/root u
	mkdir -p "$root/usr/local/lib/chm/pipelines" "$BATS_TEST_TMPDIR/units"
	cp "$CHM_ROOT"/pipelines/*.sh "$root/usr/local/lib/chm/pipelines/"
	for u in "$UNITS"/*.service "$UNITS"/*.timer; do
		sed "s|/usr/local/lib/chm|$root/usr/local/lib/chm|g" "$u" >"$BATS_TEST_TMPDIR/units/$(basename "$u")"
	done
}

@test "systemd-analyze verify: every unit, every ingest instance" {
	command -v systemd-analyze || skip "systemd-analyze is not installed"
	stage_units
	cd "$BATS_TEST_TMPDIR/units"
	verified=""
	for src in airflow dbt_cloud vendor; do
		ln -s chm-ingest@.service "chm-ingest@$src.service"
		ln -s chm-ingest@.timer "chm-ingest@$src.timer"
		run systemd-analyze verify --man=no "$PWD/chm-ingest@$src.service" "$PWD/chm-ingest@$src.timer"
		printf '%s\n' "$output"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		[ -x "$BATS_TEST_TMPDIR/root/usr/local/lib/chm/pipelines/$src.sh" ]
	done
	verified="chm-ingest@.service chm-ingest@.timer"
	run systemd-analyze verify --man=no "$PWD/chm-report.service" "$PWD/chm-report.timer"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	verified="$verified chm-report.service chm-report.timer"
	run systemd-analyze verify --man=no "$PWD/chm-alert.service" "$PWD/chm-alert.timer"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	verified="$verified chm-alert.service chm-alert.timer"
	# nothing in pipelines/systemd escaped verification
	for u in "$UNITS"/*; do
		[[ " $verified " == *" $(basename "$u") "* ]]
	done
}

@test "verify catches a broken unit (the check can fail)" {
	command -v systemd-analyze || skip "systemd-analyze is not installed"
	stage_units
	cd "$BATS_TEST_TMPDIR/units"
	sed 's/^Type=oneshot/Type=oneshot-ish/' chm-report.service >broken.service
	run systemd-analyze verify --man=no "$PWD/broken.service"
	[ "$status" -ne 0 ] || [ -n "$output" ]
}

@test "secrets only through LoadCredential=, never Environment=" {
	for u in "$UNITS"/*.service; do
		grep -q '^LoadCredential=pgpass:/etc/chm/credentials/pgpass$' "$u"
		! grep -Eiq '^Environment=.*(pass|token|secret|key)' "$u"
		! grep -Eiq 'PGPASSWORD' "$u"
	done
	grep -q '^LoadCredential=%i-token:/etc/chm/credentials/%i-token$' "$UNITS/chm-ingest@.service"
	for c in slack-webhook webhook-secret smtp-login; do
		grep -qx "LoadCredential=$c:/etc/chm/credentials/$c" "$UNITS/chm-alert.service"
	done
}

@test "hardening and a state directory on every service" {
	for u in "$UNITS"/*.service; do
		for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
			DynamicUser=yes Type=oneshot; do
			grep -qx "$k" "$u" || { echo "$u lacks $k" >&2; return 1; }
		done
		grep -q '^StateDirectory=chm' "$u"
	done
}

@test "restart on exit 75 only: every other sysexits status prevents it" {
	for u in "$UNITS"/*.service; do
		grep -qx 'Restart=on-failure' "$u"
		prevent=" $(sed -n 's/^RestartPreventExitStatus=//p' "$u" | tr '\n' ' ') "
		for s in 1 64 65 66 67 68 69 70 71 72 73 74 76 77 78 SIGTERM SIGKILL; do
			[[ "$prevent" == *" $s "* ]] || { echo "$u: $s would restart" >&2; return 1; }
		done
		[[ "$prevent" != *" 75 "* ]]
	done
}

@test "timers: one per ingest instance, one for the report, one for alerts, persistent" {
	grep -qx 'OnCalendar=\*:0/5' "$UNITS/chm-alert.timer"
	grep -qx 'Persistent=true' "$UNITS/chm-alert.timer"
	grep -q '^ExecStart=/usr/local/lib/chm/pipelines/alert.sh$' "$UNITS/chm-alert.service"
	grep -qx 'OnCalendar=\*:0/15' "$UNITS/chm-ingest@.timer"
	grep -qx 'Persistent=true' "$UNITS/chm-ingest@.timer"
	grep -qx 'Persistent=true' "$UNITS/chm-report.timer"
	grep -q '^ExecStart=/usr/local/lib/chm/pipelines/%i.sh$' "$UNITS/chm-ingest@.service"
	grep -q '^ExecStart=/usr/local/lib/chm/pipelines/report.sh$' "$UNITS/chm-report.service"
}

@test "env examples: dev, staging and prod use different databases and no secrets (SE-004)" {
	dbs=""
	for e in dev staging prod; do
		f="$ENVS/$e.env"
		[ -f "$f" ]
		url=$(bash -c "set -a; . '$f'; printf '%s' \"\$CHM_DATABASE_URL\"")
		env_name=$(bash -c "set -a; . '$f'; printf '%s' \"\$CHM_ENV\"")
		assert_eq "$env_name" "$e"
		[[ "$url" == *"chm_$e"* ]]
		# no password in the URL (user:password@) and no secret assignments
		! [[ "$url" =~ ://[^/@]*:[^/@]*@ ]]
		! grep -Eiq '^[A-Z_]*(PASSWORD|SECRET|TOKEN|API_KEY)=' "$f"
		! grep -Eiq 'password=' "$f"
		dbs="$dbs$url"$'\n'
	done
	assert_eq "$(printf '%s' "$dbs" | sort -u | wc -l)" 3
	# and no two environments share a partner token file
	assert_eq "$(cat "$ENVS"/*.env | grep -E '^CHM_[A-Z_]*TOKEN_FILE=' | sort | uniq -d | wc -l)" 0
}
