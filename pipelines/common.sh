# Shared by the pipelines/*.sh scripts (sourced, not run).
#
# Configuration comes from the environment: systemd's EnvironmentFile=
# (/etc/chm/chm.env, a copy of pipelines/env/<env>.env), or CHM_ENV_FILE
# naming such a file when run by hand. Secrets never come from it:
# $CREDENTIALS_DIRECTORY (LoadCredential=) or files named by *_FILE variables.
#
#   CHM_DATABASE_URL or PG*      the database (libpq rules; password in pgpass)
#   CHM_BINDIR                   where chm-* live, when not on PATH
#   STATE_DIRECTORY              set by systemd (StateDirectory=); else
#   CHM_STATE_DIR                bookmarks and the dead-letter files
#                                (default ${XDG_STATE_HOME:-~/.local/state}/chm)
#
# The exit status of a script is the status of the first stage that failed
# (chm-fetch, then chm-normalize, then chm-load), so 75 from a database that
# is down reaches systemd as 75 and not as the SIGPIPE the fetcher got when
# the loader stopped reading: a stage killed by SIGPIPE (141) is a victim,
# not a cause. A status outside the sysexits table becomes 70 (internal
# error); a program that cannot be run (126, 127) becomes 78 (configuration).

set -u -o pipefail

CHM_SCRIPT=${CHM_SCRIPT:-$(basename "$0" .sh)}

chm_msg() {
	printf 'chm-%s: %s\n' "$CHM_SCRIPT" "$*" >&2
}

# chm_die STATUS MESSAGE
chm_die() {
	local st=$1
	shift
	chm_msg "$*"
	exit "$st"
}

# Reads the env file named by CHM_ENV_FILE (running by hand); systemd has
# already read its EnvironmentFile=.
chm_load_env() {
	if [ -n "${CHM_ENV_FILE:-}" ]; then
		[ -r "$CHM_ENV_FILE" ] || chm_die 78 "cannot read CHM_ENV_FILE $CHM_ENV_FILE"
		set -a
		# shellcheck disable=SC1090
		. "$CHM_ENV_FILE"
		set +a
	fi
	if [ -n "${CHM_BINDIR:-}" ]; then
		PATH="$CHM_BINDIR:$PATH"
		export PATH
	fi
	# the database password arrives as a libpq password file credential
	if [ -z "${PGPASSFILE:-}" ] && [ -n "${CREDENTIALS_DIRECTORY:-}" ] &&
	   [ -f "$CREDENTIALS_DIRECTORY/pgpass" ]; then
		export PGPASSFILE="$CREDENTIALS_DIRECTORY/pgpass"
	fi
}

# Sets CHM_STATE (the state directory) and CHM_DEAD_LETTER_DIR.
chm_state_dir() {
	if [ -n "${STATE_DIRECTORY:-}" ]; then
		CHM_STATE=${STATE_DIRECTORY%%:*}   # systemd lists several with ':'
	elif [ -n "${CHM_STATE_DIR:-}" ]; then
		CHM_STATE=$CHM_STATE_DIR
	else
		CHM_STATE=${XDG_STATE_HOME:-$HOME/.local/state}/chm
	fi
	CHM_DEAD_LETTER_DIR=$CHM_STATE/dead-letter
	mkdir -p "$CHM_STATE" "$CHM_DEAD_LETTER_DIR" ||
		chm_die 74 "cannot create the state directory $CHM_STATE"
}

# One run per source at a time: a second one would race for the bookmark.
chm_lock() {
	exec 9>"$CHM_STATE/$1.lock" || chm_die 74 "cannot open $CHM_STATE/$1.lock"
	flock -n 9 || chm_die 75 "another $1 run holds $CHM_STATE/$1.lock; try again later"
}

# The token file of a source: CHM_<SOURCE>_TOKEN_FILE, else the credential
# <source>-token; empty (no token) when neither exists or the file is empty.
chm_token_file() {
	local var f
	var="CHM_$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')_TOKEN_FILE"
	f=${!var:-}
	if [ -z "$f" ] && [ -n "${CREDENTIALS_DIRECTORY:-}" ]; then
		f=$CREDENTIALS_DIRECTORY/$1-token
	fi
	if [ -n "$f" ] && [ -s "$f" ]; then
		printf '%s\n' "$f"
	fi
}

# chm_first_failure STATUS... -> the exit status of the pipeline.
chm_first_failure() {
	local s piped=0
	for s in "$@"; do
		if [ "$s" -eq 141 ]; then
			piped=1
		elif [ "$s" -ne 0 ]; then
			chm_exit_status "$s"
			return
		fi
	done
	if [ "$piped" -eq 1 ]; then
		echo 70   # only SIGPIPE deaths: someone else closed the pipe
	else
		echo 0
	fi
}

chm_exit_status() {
	case $1 in
	0 | 6[4-9] | 7[0-8]) echo "$1" ;;
	126 | 127) echo 78 ;;
	*) echo 70 ;;
	esac
}

# Lines in a file, 0 when it does not exist.
chm_lines() {
	if [ -f "$1" ]; then
		wc -l <"$1" | tr -d ' '
	else
		echo 0
	fi
}

# chm_ingest SOURCE FETCH_ARGS... : chm-fetch | chm-normalize | chm-load with
# the bookmark in $CHM_STATE/SOURCE.state.json and rejects appended to
# $CHM_DEAD_LETTER_DIR/SOURCE.ndjson. chm-normalize also gets the words of
# the array CHM_NORMALIZE_ARGS. Exits with the pipeline's status.
chm_ingest() {
	local source=$1
	shift
	local state=$CHM_STATE/$source.state.json
	local dead=$CHM_DEAD_LETTER_DIR/$source.ndjson
	local token before st
	local -a fetch_args=("$@")

	chm_lock "$source"
	token=$(chm_token_file "$source")
	[ -n "$token" ] && fetch_args+=(--token-file "$token")
	before=$(chm_lines "$dead")

	chm-fetch --source "$source" --state-file "$state" "${fetch_args[@]}" |
		chm-normalize --rejects "$dead" ${CHM_NORMALIZE_ARGS[@]+"${CHM_NORMALIZE_ARGS[@]}"} |
		chm-load --state-file "$state" --rejects "$dead"
	local -a statuses=("${PIPESTATUS[@]}")
	st=$(chm_first_failure "${statuses[@]}")

	local added=$(($(chm_lines "$dead") - before))
	[ "$added" -gt 0 ] && chm_msg "$added rejected records kept in $dead"
	[ "$st" -ne 0 ] && chm_msg "failed with status $st (fetch ${statuses[0]}, normalize ${statuses[1]}, load ${statuses[2]})"
	exit "$st"
}

# chm_require VAR...: each must be set and non-empty (exit 78 otherwise).
chm_require() {
	local v
	for v in "$@"; do
		[ -n "${!v:-}" ] || chm_die 78 "$v is not set (see pipelines/env/*.env)"
	done
}
