#!/usr/bin/env bats
# The layout a newcomer reads (README.md, "Layout" and "Adding a source"):
# lib/ in four layers with no circle, no getenv() below bin/, no function
# over 80 lines, one table of sources that the programs, the README and the
# man pages agree on. Each check is also shown to fail when its rule is
# broken, on a copy of lib/.

load helper

setup() {
	COPY="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$COPY"
	cp -R "$CHM_ROOT/lib" "$COPY/lib"
}

@test "tools/layers.py: four layers, no circle, and it says so" {
	run python3 "$CHM_ROOT/tools/layers.py" "$CHM_ROOT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"layers: core "*", sources "*", engines "*", cmd "* ]]
	[[ "$output" == *"circles: 0; broken rules: 0"* ]]
}

@test "tools/layers.py fails on a source that includes an engine, a circle, a getenv, a source told by address" {
	sed -i 's|#include "sources/source.h"|#include "sources/source.h"\n#include "engines/normalize.h"|' "$COPY/lib/sources/src_airflow.c"
	run python3 "$CHM_ROOT/tools/layers.py" "$COPY"
	[ "$status" -eq 1 ]
	[[ "$output" == *"lib/sources/src_airflow.c: a sources module includes engines/normalize.h, a layer above it"* ]]
	cp "$CHM_ROOT/lib/sources/src_airflow.c" "$COPY/lib/sources/src_airflow.c"
	echo '#include "core/redact.h"' >>"$COPY/lib/core/strbuf.c"
	run python3 "$CHM_ROOT/tools/layers.py" "$COPY"
	[ "$status" -eq 1 ]
	[[ "$output" == *"a circle of includes: "*"redact"*"strbuf"* ]]
	cp "$CHM_ROOT/lib/core/strbuf.c" "$COPY/lib/core/strbuf.c"
	echo 'static const char *home(void) { return getenv("HOME"); }' >>"$COPY/lib/core/record.c"
	echo 'static int is_vendor(const struct chm_source *s) { return s == &chm_src_vendor; }' >>"$COPY/lib/engines/normalize.c"
	run python3 "$CHM_ROOT/tools/layers.py" "$COPY"
	[ "$status" -eq 1 ]
	[[ "$output" == *"lib/core/record.c: calls getenv()"* ]]
	[[ "$output" == *"lib/engines/normalize.c: tells a source by its address"* ]]
}

@test "no function over 80 lines, and the check finds one" {
	run python3 "$CHM_ROOT/tools/long-functions.py" "$CHM_ROOT"/lib/*/*.c "$CHM_ROOT"/bin/*.c
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	{ echo 'int padded(void)'; echo '{'; for i in $(seq 85); do echo "	int v$i = $i;"; done; echo '	return 0;'; echo '}'; } >"$COPY/long.c"
	run python3 "$CHM_ROOT/tools/long-functions.py" "$COPY/long.c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"long.c:1: padded: 89 lines"* ]]
}

# The sources as README's "Adding a source" lists them: "name module yes|no".
readme_sources() {
	awk '/^### Adding a source/{on=1} on && /^\| source \| module \| pager/{t=1; next} t && /^\|---/{next} t && /^\|/{print} t && !/^\|/{exit}' \
		"$CHM_ROOT/README.md" | tr -d '`' | awk -F'|' '{gsub(/ /,"",$2); gsub(/ /,"",$3); gsub(/ /,"",$4); print $2, $3, $4}'
}

@test "the table of sources, the programs, README and the man pages agree" {
	readme_sources >"$BATS_TEST_TMPDIR/readme"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/readme")" -ge 6 ]
	# the programs name the table's sources, in its order
	run --separate-stderr chm-normalize --source nosuch /dev/null
	[ "$status" -eq 64 ]
	known=$(printf '%s\n' "$stderr" | sed -n 's/.*(known: \(.*\))$/\1/p' | sed 's/, /\n/g')
	assert_eq "$known" "$(cut -d' ' -f1 "$BATS_TEST_TMPDIR/readme")"
	run --separate-stderr chm-fetch --source nosuch --base-url http://127.0.0.1:1
	[ "$status" -eq 64 ]
	paged=$(printf '%s\n' "$stderr" | sed -n 's/.*expected one of \(.*\), got.*/\1/p' | sed 's/, /\n/g')
	assert_eq "$paged" "$(awk '$3 == "yes" {print $1}' "$BATS_TEST_TMPDIR/readme")"
	# each module is there, and holds the source of that name
	while read -r name module pager; do
		grep -q "const struct chm_source chm_src_$name = {" "$CHM_ROOT/lib/sources/$module"
		grep -q "\.name = \"$name\"" "$CHM_ROOT/lib/sources/$module"
		if [ "$pager" = yes ]; then grep -q '\.pager = &pager' "$CHM_ROOT/lib/sources/$module"; fi
		grep -q "&chm_src_$name" "$CHM_ROOT/lib/sources/sources.c"
		grep -q "^\.B $name\$" "$CHM_ROOT/man/chm-normalize.1"
	done <"$BATS_TEST_TMPDIR/readme"
	# chm-fetch's man page lists exactly the paged ones
	assert_eq "$(sed -n 's/^\.BR \\-\\-source " " //p' "$CHM_ROOT/man/chm-fetch.1" | tr -d ' ')" \
		"$(printf '%s\n' "$paged" | paste -sd'|')"
	# and every src_*.c is in the table
	for f in "$CHM_ROOT"/lib/sources/src_*.c; do
		grep -qw -- "$(basename "$f")" "$BATS_TEST_TMPDIR/readme"
	done
}

@test "the two format enums live apart: a file including both headers compiles" {
	printf '#include "cmd/output.h"\n#include "engines/report.h"\nint main(void) { return CHM_OUT_JSON + CHM_FMT_NDJSON; }\n' >"$BATS_TEST_TMPDIR/both.c"
	cc -std=c11 -D_GNU_SOURCE -fsyntax-only -I"$CHM_ROOT/lib" $(pkg-config --cflags libpq jansson) "$BATS_TEST_TMPDIR/both.c"
}
