# For the chm inventory and run command tests (t05NN-cli-*): `load cli_helper`
# after `load helper`.

# Asserts the last `run --separate-stderr` failed with exit status $1 and the
# one error shape on stderr, code $2, with an issue for each further field:
#   assert_error 65 validation_failed threshold window_minutes
# and that nothing was written to stdout.
assert_error() {
	local want_status=$1 want_code=$2 verdict
	shift 2
	if [ "$status" -ne "$want_status" ]; then
		printf 'exit status %s, expected %s\nstderr: %s\n' "$status" "$want_status" "$stderr" >&2
		return 1
	fi
	assert_eq "$output" ""
	# exactly one line holding one object of the shape, the code, an issue a field
	verdict=$(printf '%s\n' "$stderr" | jq -r -s --arg code "$want_code" '
		if length != 1 then "not one JSON value on stderr"
		elif (.[0] | keys) != ["error"] then "no error object"
		else .[0].error as $e |
		  if ($e | keys) != ["code","details","message"] then "keys: \($e | keys)"
		  elif ($e.message | type) != "string" or ($e.message | length) == 0 then "no message"
		  elif ($e.details | type) != "array" then "details not an array"
		  elif any($e.details[]; (keys != ["field","issue"]) or (.issue | length) == 0) then "a detail without field or issue"
		  elif $e.code != $code then "code \($e.code), expected \($code)"
		  else [$e.details[].field] | join("\n") end end' 2>&1) || verdict="not JSON"
	if [ "$(printf '%s\n' "$stderr" | wc -l)" -ne 1 ]; then
		verdict="not one line"
	fi
	local field fields=$'\n'"$verdict"$'\n'
	case $verdict in
	"not one"* | "no "* | "keys: "* | "details not"* | "a detail without"* | "code "* | "not JSON")
		printf '%s: %s\n' "$verdict" "$stderr" >&2
		return 1
		;;
	esac
	for field in "$@"; do
		if [[ "$fields" != *$'\n'"$field"$'\n'* ]]; then
			printf 'no issue for field %s in: %s\n' "$field" "$stderr" >&2
			return 1
		fi
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
