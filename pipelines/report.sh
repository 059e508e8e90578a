#!/bin/bash
# Writes the health report: $CHM_STATE/report.html (every question), and
# the Prometheus form into CHM_TEXTFILE_DIR/chm.prom for node_exporter's
# textfile collector when that variable is set. Each file is written to a
# temporary name and renamed, so a reader never sees half a report.
# Exit status: chm-report's, the first that failed.
. "$(dirname "$(readlink -f "$0")")/common.sh"
chm_load_env
chm_state_dir
st=0
# mktemp: a new file of our own (O_EXCL), never one prepared at a guessable name
tmp=$(mktemp "$CHM_STATE/.report.html.XXXXXX") || chm_die 74 "cannot create a temporary file in $CHM_STATE"
chmod 0644 "$tmp"
if chm-report --format html all >"$tmp"; then
	mv -f "$tmp" "$CHM_STATE/report.html"
else
	st=$(chm_exit_status $?)
	rm -f "$tmp"
	chm_msg "chm-report --format html failed with status $st"
fi
if [ -n "${CHM_TEXTFILE_DIR:-}" ]; then
	tmp=$(mktemp "$CHM_TEXTFILE_DIR/.chm.prom.XXXXXX") || chm_die 74 "cannot create a temporary file in $CHM_TEXTFILE_DIR"
	if chm-report --format prom all >"$tmp"; then
		chmod 0644 "$tmp"
		mv -f "$tmp" "$CHM_TEXTFILE_DIR/chm.prom"
	else
		s=$(chm_exit_status $?)
		rm -f "$tmp"
		chm_msg "chm-report --format prom failed with status $s"
		[ "$st" -eq 0 ] && st=$s
	fi
fi
exit "$st"
