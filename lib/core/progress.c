#include "core/progress.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/strbuf.h"

/* Write at most this often (microseconds). */
#define INTERVAL_USEC 1000000

/* The meter whose line is on the terminal now: one a process. */
static struct chm_progress *on_screen;

static int64_t monotonic_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

enum chm_progress_mode chm_progress_mode(int flag, int fd, int data_fd)
{
	/* records scrolling past on the same screen would tear a \r line */
	if (isatty(fd) && (data_fd < 0 || !isatty(data_fd)))
		return CHM_PROGRESS_TTY;
	return flag ? CHM_PROGRESS_LINES : CHM_PROGRESS_OFF;
}

struct chm_progress *chm_progress_init(struct chm_progress *p, enum chm_progress_mode mode, FILE *fp,
				       const char *program, const char *unit, unsigned every)
{
	memset(p, 0, sizeof(*p));
	if (mode == CHM_PROGRESS_OFF)
		return NULL;
	p->mode = mode;
	p->fp = fp;
	p->program = program;
	p->unit = unit;
	p->every = every ? every : 1;
	p->clock = monotonic_usec;
	p->start = p->last = p->clock();
	return p;
}

void chm_progress_interrupt(void)
{
	if (!on_screen)
		return;
	fputs("\r\033[K", on_screen->fp);
	fflush(on_screen->fp);
	on_screen->on_screen = 0;
	on_screen = NULL;
}

const char *chm_progress_count(char *buf, long long v)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%lld", v < 0 ? -v : v), o = 0;
	if (v < 0)
		buf[o++] = '-';
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

void chm_progress_poll(struct chm_progress *p, long long done)
{
	char count[32], rate[32];
	int64_t now = p->clock();
	if (now - p->last < INTERVAL_USEC)
		return;
	p->last = now;
	double secs = (double)(now - p->start) / 1e6;
	chm_progress_count(count, done);
	chm_progress_count(rate, secs > 0 ? (long long)((double)done / secs) : 0);
	if (p->mode == CHM_PROGRESS_TTY) {
		/* over the last one; \033[K clears what a longer one left */
		fprintf(p->fp, "\r%s: %s %s, %s/s, %.0f s\033[K", p->program, count, p->unit, rate, secs);
		p->on_screen = 1;
		on_screen = p;
	} else {
		fprintf(p->fp, "%s: %s %s, %s/s, %.0f s\n", p->program, count, p->unit, rate, secs);
	}
	fflush(p->fp);
}

void chm_progress_end(struct chm_progress *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	if (!p)
		return;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	chm_progress_interrupt();
	fprintf(p->fp, "%s: %s in %.1f s\n", p->program, sb.buf, (double)(p->clock() - p->start) / 1e6);
	fflush(p->fp);
	strbuf_release(&sb);
}
