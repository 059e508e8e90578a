# For the chm inventory and run command tests (t05NN-cli-*): `load cli_helper`
# after `load helper`.

# Asserts the last `run --separate-stderr` failed with exit status $1 and the
# one error shape on stderr, code $2, with an issue for each further field:
#   assert_error 65 validation_failed threshold window_minutes
# and that nothing was written to stdout.
assert_error() {
	local want_status=$1 want_code=$2 field
	shift 2
	if [ "$status" -ne "$want_status" ]; then
		printf 'exit status %s, expected %s\nstderr: %s\n' "$status" "$want_status" "$stderr" >&2
		return 1
	fi
	assert_eq "$output" ""
	# exactly one line, one JSON object of the shape
	assert_eq "$(printf '%s\n' "$stderr" | wc -l)" 1
	printf '%s' "$stderr" | jq -e '
		(keys == ["error"]) and
		(.error | (keys == ["code","details","message"])
		          and (.message | type == "string" and length > 0)
		          and (.details | type == "array")
		          and all(.details[]; (keys == ["field","issue"]) and (.issue | length > 0)))' >/dev/null || {
		printf 'not the error shape: %s\n' "$stderr" >&2
		return 1
	}
	assert_eq "$(printf '%s' "$stderr" | jq -r .error.code)" "$want_code"
	for field in "$@"; do
		printf '%s' "$stderr" | jq -e --arg f "$field" 'any(.error.details[]; .field == $f)' >/dev/null || {
			printf 'no issue for field %s in: %s\n' "$field" "$stderr" >&2
			return 1
		}
	done
}

# Asserts success: status 0, nothing on stderr, every stdout line a JSON object.
assert_json_ok() {
	if [ "$status" -ne 0 ]; then
		printf 'exit status %s\nstderr: %s\n' "$status" "$stderr" >&2
		return 1
	fi
	assert_eq "$stderr" ""
	[ -n "$output" ] || { echo "no output" >&2; return 1; }
	printf '%s\n' "$output" | jq -e -s 'all(.[]; type == "object")' >/dev/null || {
		printf 'not NDJSON objects: %s\n' "$output" >&2
		return 1
	}
}

# One field of the single JSON object on stdout: jfield .name
jfield() {
	printf '%s\n' "$output" | jq -r "$1"
}

# The fixture inventory and run history, loaded once a file.
load_fixtures() {
	chm-load "$FIXTURES/inventory.ndjson" "$FIXTURES/runs/history.ndjson" >/dev/null
}
