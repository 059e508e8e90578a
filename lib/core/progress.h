/* progress: what a long run has done so far, for a person watching stderr:
 * records, rate and elapsed time about once a second, and one human line
 * at the end ("chm-load: loaded 994,489 records: ... in 22.6 s"). The
 * programs that stream (chm-load, chm-normalize, chm-fetch, chm-synth)
 * share it, so they say it alike.
 *
 * Whether it is on, and how, is the program's decision (chm_progress_mode:
 * --progress, and whether stderr is a terminal); this module only counts
 * and writes. Off, an engine holds NULL and a record costs one pointer
 * test; on, the clock is read every `every` records, never per record. */
#ifndef CHM_PROGRESS_H
#define CHM_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum chm_progress_mode {
	CHM_PROGRESS_OFF,
	CHM_PROGRESS_TTY,     /* one line, rewritten with \r */
	CHM_PROGRESS_LINES,   /* a plain line a second (--progress into a file) */
};

struct chm_progress {
	enum chm_progress_mode mode;
	FILE *fp;
	const char *program;       /* "chm-load": each line's prefix */
	const char *unit;          /* "records", "runs" */
	int64_t (*clock)(void);    /* microseconds, monotonic; injected by tests */
	int64_t start, last;       /* when it began, when it last wrote */
	unsigned every, tick;      /* read the clock every `every` records */
	int on_screen;             /* a \r line waits to be cleared */
};

/* The mode for a stream fd: a terminal gets the \r line, unless the
 * program's records go to a terminal too (data_fd; -1 when the program
 * writes no records, as chm-load); --progress (flag) otherwise gets plain
 * lines; without it nothing. */
enum chm_progress_mode chm_progress_mode(int flag, int fd, int data_fd);

/* NULL when mode is off (what an engine is handed), else p, started now. */
struct chm_progress *chm_progress_init(struct chm_progress *p, enum chm_progress_mode mode, FILE *fp,
				       const char *program, const char *unit, unsigned every);

void chm_progress_poll(struct chm_progress *p, long long done);

/* One more record; done is the count so far. */
static inline void chm_progress_tick(struct chm_progress *p, long long done)
{
	if (p && ++p->tick >= p->every) {
		p->tick = 0;
		chm_progress_poll(p, done);
	}
}

/* Clears the line and writes "program: WHAT in 22.6 s" (p may be NULL:
 * nothing). */
void chm_progress_end(struct chm_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears the line a meter has on the terminal, if any, so that a warning or
 * a reject written to stderr starts on a line of its own (chm_warn and the
 * rejects call it); the next update writes the meter again. */
void chm_progress_interrupt(void);

/* v with thousands separators ("994,489") in buf (32 bytes); returns buf. */
const char *chm_progress_count(char *buf, long long v);

#endif
