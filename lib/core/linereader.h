/* linereader: reads NDJSON input a line at a time with a hard maximum line
 * length, so a hostile stream cannot make us eat memory. A line longer than
 * the maximum is returned once, cut to the maximum, with `too_long` set, and
 * the rest of it is skipped. A last line without '\n' is still a line. */
#ifndef CHM_LINEREADER_H
#define CHM_LINEREADER_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

#define CHM_LINE_MAX_DEFAULT (16u << 20)

struct line_reader {
	FILE *fp;
	const char *name;   /* file name for messages, "-" for stdin */
	size_t max;
	long lineno;        /* number of the line last returned, from 1 */
	int too_long;       /* the line last returned was cut */
	char *buf;
	size_t cap;
	char *blk;          /* read-ahead block */
	size_t blk_pos, blk_len;
	int eof;
	/* Points at a signal flag: when set, a read interrupted by a signal
	 * ends the input instead of being retried (SIGTERM handling). */
	volatile int *interrupted;
	/* Called when no input came for 200 ms (a pipe whose writer waits on a
	 * partner API): a loader commits what it has read so far. -1 with err
	 * ends the input with that error. */
	int (*idle)(void *arg, struct chm_err *err);
	void *idle_arg;
};

void line_reader_init(struct line_reader *lr, FILE *fp, const char *name, size_t max);
void line_reader_release(struct line_reader *lr);
/* 1: a line in *line and *len (NUL-terminated, without '\n'), 0: end of input,
 * -1: read error (err filled, status 74). */
int line_reader_next(struct line_reader *lr, const char **line, size_t *len, struct chm_err *err);

#endif
