#include "core/table.h"


#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>


/* A column never shrinks below this many cells when fitting: a cut
 * name still has to be recognisable. */
#define MIN_CUT_WIDTH 6
/* Text keeps this many cells (most pipeline names whole) before a
 * narrow terminal leaves detail columns out (details, below). */
#define SOFT_CUT_WIDTH 20

/* Ends a coloured status (SGR: Select Graphic Rendition). */
#define SGR_RESET "\033[0m"

struct chm_table_cell {
	char *text;       /* as shown: humanised, one line, no control bytes */
	enum chm_cell kind;
};

/* ------------------------------------------------------------------- rules */

enum match { PREFIX, SUFFIX, EXACT };

/* Which numbers are seconds or fractions, and which texts are statuses or
 * times, by the column's name: the names the views (sql/) and the chm
 * commands' rows use. The first rule that matches wins. */
static const struct rule {
	enum match match;
	const char *pattern;
	enum chm_cell base, kind;
} rules[] = {
	{ PREFIX, "seconds_since_", CHM_CELL_NUMBER, CHM_CELL_AGE },
	{ SUFFIX, "_seconds", CHM_CELL_NUMBER, CHM_CELL_DURATION },
	{ SUFFIX, "_rate", CHM_CELL_NUMBER, CHM_CELL_RATE },
	{ EXACT, "status", CHM_CELL_TEXT, CHM_CELL_STATUS },
	{ SUFFIX, "_status", CHM_CELL_TEXT, CHM_CELL_STATUS },
	{ SUFFIX, "_at", CHM_CELL_TEXT, CHM_CELL_TIME },
	{ EXACT, "since", CHM_CELL_TEXT, CHM_CELL_TIME },
	{ EXACT, "until", CHM_CELL_TEXT, CHM_CELL_TIME },
};

static int matches(enum match match, const char *pattern, const char *name)
{
	size_t n = strlen(name), p = strlen(pattern);
	switch (match) {
	case PREFIX: return strncmp(name, pattern, p) == 0;
	case SUFFIX: return n >= p && strcmp(name + n - p, pattern) == 0;
	case EXACT: return strcmp(name, pattern) == 0;
	}
	return 0;
}

/* "a.b" (chm reaches into nested objects): the last part names it */
static const char *last_part(const char *column)
{
	const char *dot = strrchr(column, '.');
	return dot ? dot + 1 : column;
}

enum chm_cell chm_table_kind(const char *column, enum chm_cell base)
{
	column = last_part(column);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].base == base && matches(rules[i].match, rules[i].pattern, column))
			return rules[i].kind;
	return base;
}

/* Which columns a narrow terminal may leave out, and in which order (the
 * highest rank first, the rightmost first among equals), by the column's
 * name as for the kinds. A column named nowhere here (client, pipeline,
 * status, the counts, the error, an age) is the answer and is never left
 * out; nor is a table's first column, its rows' key. Leaving a detail out,
 * and saying so under the table, reads better than cutting every name to
 * "pipel…" and still overflowing the screen. */
#define DETAIL_RANK_MAX 9
static const struct detail {
	enum match match;
	const char *pattern;
	int rank;
} details[] = {
	{ PREFIX, "hist_", DETAIL_RANK_MAX },  /* Q9's coarse histogram beside its percentiles */
	{ EXACT, "run_id", 8 },               /* a partner's identifiers: long, copied, not read */
	{ EXACT, "external_run_id", 8 },
	{ EXACT, "external_id", 8 },
	{ EXACT, "status_reason", 8 },
	{ EXACT, "environment", 7 },
	{ EXACT, "pipeline_type", 7 },
	{ EXACT, "is_enabled", 0 },           /* a rule's state: a status, never left out */
	{ PREFIX, "is_", 7 },
	{ EXACT, "finished_at", 6 },          /* times another column tells well enough */
	{ EXACT, "previous_started_at", 6 },
	{ EXACT, "last_failed_at", 6 },
	{ EXACT, "last_success_at", 6 },      /* seconds_since_success says it as an age */
	{ EXACT, "min_seconds", 7 },          /* max_seconds says more, and stays longer */
	{ EXACT, "max_seconds", 6 },
	{ EXACT, "rows_processed", 6 },
	{ EXACT, "effective_scope", 6 },      /* effective_scope_name says it */
	{ EXACT, "platform", 5 },
	{ EXACT, "started_at", 4 },
	{ EXACT, "current_started_at", 4 },
	{ EXACT, "failing_since", 4 },
	{ EXACT, "last_run_at", 4 },
};

/* 0: the column is never left out. */
static int detail_rank(const char *column)
{
	column = last_part(column);
	for (size_t i = 0; i < sizeof(details) / sizeof(details[0]); i++)
		if (matches(details[i].match, details[i].pattern, column))
			return details[i].rank;
	return 0;
}

static int is_numeric(enum chm_cell k)
{
	return k == CHM_CELL_NUMBER || k == CHM_CELL_DURATION || k == CHM_CELL_AGE ||
	       k == CHM_CELL_RATE;
}

/* ------------------------------------------------------------- human units */

/* Seconds as people read them: "850 ms", "42s", "4m 12s", "1h 05m",
 * "11d 5h". Two units at most: a table is read at a glance. */
void chm_table_duration(struct strbuf *sb, double s)
{
	if (s < 0) {
		strbuf_addc(sb, '-');
		s = -s;
	}
	double ms = floor(s * 1000 + 0.5);
	if (s > 0 && ms < 1000) {
		strbuf_addf(sb, "%.0f ms", ms);
		return;
	}
	if (s >= 1e15) {   /* past any clock; and beyond what a long long holds exactly */
		strbuf_addf(sb, "%.3gd", s / 86400);
		return;
	}
	long long n = (long long)floor(s + 0.5);
	if (n < 60)
		strbuf_addf(sb, "%llds", n);
	else if (n < 3600)
		strbuf_addf(sb, "%lldm %02llds", n / 60, n % 60);
	else if (n < 86400)
		strbuf_addf(sb, "%lldh %02lldm", n / 3600, n % 3600 / 60);
	else
		strbuf_addf(sb, "%lldd %lldh", n / 86400, n % 86400 / 3600);
}

/* A number, whole text; 0 when it is not one (then it is shown as given). */
static int parse_number(const char *s, double *v)
{
	char *end;
	if (!*s)
		return 0;
	*v = strtod(s, &end);
	return *end == '\0' && isfinite(*v);
}

/* 2026-11-26T00:00:00.000000Z as 2026-11-26 00:00:00Z: the second is as
 * fine as a person compares; any other text is shown as given. */
static void add_time(struct strbuf *sb, const char *s)
{
	if (strlen(s) < 19 || s[10] != 'T' || s[4] != '-' || s[13] != ':') {
		strbuf_adds(sb, s);
		return;
	}
	const char *rest = s + 19;
	if (*rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++)
			;
	strbuf_addf(sb, "%.10s %.8s%s", s, s + 11, rest);
}

void chm_table_rate(struct strbuf *sb, double v)
{
	strbuf_addf(sb, "%.1f%%", v * 100);
}

static void humanise(struct strbuf *sb, enum chm_cell kind, const char *s)
{
	double v;
	if (kind == CHM_CELL_TIME) {
		add_time(sb, s);
	} else if ((kind == CHM_CELL_DURATION || kind == CHM_CELL_AGE) && parse_number(s, &v)) {
		if (kind == CHM_CELL_AGE && v < 0) {
			strbuf_adds(sb, "in ");
			chm_table_duration(sb, -v);
		} else {
			chm_table_duration(sb, v);
			if (kind == CHM_CELL_AGE)
				strbuf_adds(sb, " ago");
		}
	} else if (kind == CHM_CELL_RATE && parse_number(s, &v)) {
		chm_table_rate(sb, v);
	} else {
		strbuf_adds(sb, s);
	}
}

enum chm_cell chm_table_human(struct strbuf *sb, const char *column, enum chm_cell base,
			      const char *text)
{
	enum chm_cell kind = chm_table_kind(column, text ? base : CHM_CELL_NULL);
	humanise(sb, kind, text ? text : "-");
	return kind;
}

/* ------------------------------------------------------------ terminal text */

/* One terminal line and no terminal escapes from partner names or
 * messages: line breaks and tabs become spaces, every other control
 * character (C0, DEL, and C1 as UTF-8: U+0080-U+009F, which some
 * terminals obey as CSI) becomes "?". */
void chm_table_sanitise(char *s)
{
	unsigned char *p = (unsigned char *)s;
	for (; *p; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
		else if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			*p = '?';
			memmove(p + 1, p + 2, strlen((char *)p + 2) + 1);
		}
	}
}

/* The code point at *s (UTF-8; a stray byte is itself), *s moved past it. */
static unsigned next_point(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	unsigned c = *p++;
	int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
	if (more)
		c &= 0x3fu >> more; /* the lead byte's own bits */
	for (; more && (*p & 0xc0) == 0x80; more--)
		c = (c << 6) | (*p++ & 0x3f);
	*s = (const char *)p;
	return c;
}

/* Terminal cells of a code point, as wcwidth says in a UTF-8 locale
 * (which a cron job or CI does not have): 0 for combining marks and zero
 * width characters, 2 for East Asian wide and full-width ones and emoji. */
static int point_cells(unsigned c)
{
	static const unsigned zero[][2] = {
		{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x0610, 0x061a },
		{ 0x064b, 0x065f }, { 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e },
		{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f }, { 0x202a, 0x202e },
		{ 0x2060, 0x2064 }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
		{ 0xfeff, 0xfeff },
	};
	static const unsigned wide[][2] = {
		{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff }, { 0x3400, 0x4dbf },
		{ 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
		{ 0xfe30, 0xfe4f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff }, { 0x20000, 0x3fffd },
	};
	if (c < 0x300)
		return 1;
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

/* Terminal cells of the UTF-8 text s[0..len). */
static size_t width_of_n(const char *s, size_t len)
{
	const char *end = s + len;
	size_t n = 0;
	while (s < end && *s)
		n += (size_t)point_cells(next_point(&s));
	return n;
}

static size_t width_of(const char *s)
{
	return width_of_n(s, strlen(s));
}

/* s in exactly w cells: padded on the left (right-aligned) or the right,
 * or cut to at most w - 1 cells and "…" (a wide character that would
 * straddle the cut goes, and a space makes up the cell). The last column
 * is not padded. sgr (or NULL): the colour around s, outside the padding. */
static void add_fitted(struct strbuf *sb, const char *s, size_t w, int right, int last,
		       const char *sgr)
{
	size_t n = width_of(s);
	if (n > w) {
		size_t used = 0;
		while (*s) {
			const char *from = s;
			size_t c = (size_t)point_cells(next_point(&s));
			if (used + c > w - 1)
				break;
			strbuf_add(sb, from, (size_t)(s - from));
			used += c;
		}
		strbuf_adds(sb, "\xE2\x80\xA6");
		for (used++; !last && used < w; used++)
			strbuf_addc(sb, ' ');
		return;
	}
	for (size_t i = n; right && i < w; i++)
		strbuf_addc(sb, ' ');
	strbuf_adds(sb, sgr ? sgr : "");
	strbuf_adds(sb, s);
	strbuf_adds(sb, sgr ? SGR_RESET : "");
	for (size_t i = n; !right && !last && i < w; i++)
		strbuf_addc(sb, ' ');
}

/* ------------------------------------------------------------------ colour */

/* The SGR colour of a run status (chm_run_statuses, enums.h), or NULL:
 * other texts in a status column stay plain. */
static const struct {
	const char *status, *sgr;
} status_colors[] = {
	{ "success", "\033[32m" },   /* green */
	{ "failed", "\033[31m" },    /* red */
	{ "running", "\033[33m" },   /* yellow */
	{ "canceled", "\033[2m" },   /* dim */
	{ "skipped", "\033[2m" },
};

static const char *status_color(const struct chm_table_cell *cell)
{
	if (cell->kind != CHM_CELL_STATUS)
		return NULL;
	for (size_t i = 0; i < sizeof(status_colors) / sizeof(status_colors[0]); i++)
		if (strcmp(cell->text, status_colors[i].status) == 0)
			return status_colors[i].sgr;
	return NULL;
}

/* --------------------------------------------------------------- the table */

void chm_table_init(struct chm_table *t, const char *const *names, size_t ncol)
{
	memset(t, 0, sizeof(*t));
	t->ncol = ncol;
	t->names = chm_xmalloc(sizeof(char *) * (ncol ? ncol : 1));
	for (size_t c = 0; c < ncol; c++) {
		t->names[c] = chm_xstrdup(names[c]);
		chm_table_sanitise(t->names[c]);
	}
}

void chm_table_add(struct chm_table *t, enum chm_cell kind, const char *text)
{
	if (t->ncol == 0)
		return;
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = chm_xrealloc(t->cells, sizeof(*t->cells) * t->cap);
	}
	struct chm_table_cell *cell = &t->cells[t->ncells];
	struct strbuf sb = STRBUF_INIT;
	cell->kind = chm_table_human(&sb, t->names[t->ncells % t->ncol], kind, text);
	cell->text = strbuf_detach(&sb);
	chm_table_sanitise(cell->text);
	t->ncells++;
	t->nrow = t->ncells / t->ncol;
}

/* How one column is laid out: its width, where it aligns, and how narrow
 * fitting may make it. */
struct layout {
	char *header;    /* the name as shown (header_of) */
	size_t w;
	int right;       /* numbers and nothing else (nulls aside) */
	int cut;         /* text: its values may be cut */
	size_t values;   /* the widest value (a fixed column's header may be cut to it) */
	int rank;        /* detail_rank: 0 never left out; the first column is 0 */
	int hidden;      /* left out to fit (hide_details) */
};

/* A column's name as its header: the unit its values now carry leaves the
 * name ("duration_seconds" shows 4m 12s under "duration",
 * "seconds_since_success" 11d 5h ago under "since_success"); any other
 * name as it is. */
static char *header_of(const struct chm_table *t, size_t c)
{
	const char *name = t->names[c];
	size_t n = strlen(name);
	int durations = 0, ages = 0;
	for (size_t r = 0; r < t->nrow; r++) {
		durations |= t->cells[r * t->ncol + c].kind == CHM_CELL_DURATION;
		ages |= t->cells[r * t->ncol + c].kind == CHM_CELL_AGE;
	}
	if (ages && !strncmp(name, "seconds_", 8) && n > 8)
		return chm_xstrdup(name + 8);
	char *shown = chm_xstrdup(name);
	if (durations && n > 8 && !strcmp(name + n - 8, "_seconds"))
		shown[n - 8] = '\0';
	return shown;
}

static void column_layout(const struct chm_table *t, struct layout *l)
{
	for (size_t c = 0; c < t->ncol; c++) {
		int numbers = 0, texts = 0, others = 0;
		l[c].header = header_of(t, c);
		l[c].values = 1;
		l[c].rank = c ? detail_rank(t->names[c]) : 0;
		l[c].hidden = 0;
		for (size_t r = 0; r < t->nrow; r++) {
			const struct chm_table_cell *cell = &t->cells[r * t->ncol + c];
			size_t n = width_of(cell->text);
			if (n > l[c].values)
				l[c].values = n;
			numbers |= is_numeric(cell->kind);
			texts |= cell->kind == CHM_CELL_TEXT;
			others |= !is_numeric(cell->kind) && cell->kind != CHM_CELL_NULL;
		}
		l[c].w = width_of(l[c].header);
		if (l[c].values > l[c].w)
			l[c].w = l[c].values;
		l[c].right = numbers && !others;
		/* a cut number, time or status would read as another value */
		l[c].cut = texts && !numbers && others == texts;
		for (size_t r = 0; l[c].cut && r < t->nrow; r++) {
			enum chm_cell k = t->cells[r * t->ncol + c].kind;
			l[c].cut = k == CHM_CELL_TEXT || k == CHM_CELL_NULL;
		}
	}
}

/* Takes one cell at a time from the widest column that may give (cut, or
 * a header wider than its values) and is above floor, until the row fits
 * in width: wide columns give first, narrow ones are left whole. */
static void fit_pass(const struct chm_table *t, struct layout *l, size_t *total, size_t width,
		     int text, size_t floor)
{
	while (*total > width) {
		size_t widest = t->ncol;
		for (size_t c = 0; c < t->ncol; c++) {
			size_t min = text ? floor : (l[c].values > floor ? l[c].values : floor);
			if (!l[c].hidden && l[c].cut == text && l[c].w > min &&
			    (widest == t->ncol || l[c].w > l[widest].w))
				widest = c;
		}
		if (widest == t->ncol)
			return;
		l[widest].w--;
		(*total)--;
	}
}

/* The least a column takes before details are left out: text cut to
 * SOFT_CUT_WIDTH, a number's or time's header cut to its values (as the
 * first pass of fit does). */
static size_t soft_min(const struct layout *l)
{
	size_t min = l->cut ? SOFT_CUT_WIDTH
			    : (l->values > MIN_CUT_WIDTH + 2 ? l->values : MIN_CUT_WIDTH + 2);
	return min < l->w ? min : l->w;
}

/* What the shown columns take at their soft_min, separators included. */
static size_t soft_need(const struct chm_table *t, const struct layout *l)
{
	size_t need = 0, shown = 0;
	for (size_t c = 0; c < t->ncol; c++)
		if (!l[c].hidden)
			need += soft_min(&l[c]) + (shown++ ? 2 : 0);
	return need;
}

/* Leaves details out, the highest rank first (the rightmost among equals),
 * until the other columns fit in width at their soft_min; then takes back,
 * the lowest rank first, each one that still fits beside them (a short
 * detail after a long one left out). */
static void hide_details(const struct chm_table *t, struct layout *l, size_t width)
{
	while (soft_need(t, l) > width) {
		size_t out = t->ncol;
		for (size_t c = 0; c < t->ncol; c++)
			if (!l[c].hidden && l[c].rank && (out == t->ncol || l[c].rank >= l[out].rank))
				out = c;
		if (out == t->ncol)
			return;
		l[out].hidden = 1;
	}
	for (int rank = 1; rank <= DETAIL_RANK_MAX; rank++)
		for (size_t c = 0; c < t->ncol; c++)
			if (l[c].hidden && l[c].rank == rank) {
				l[c].hidden = 0;
				l[c].hidden = soft_need(t, l) > width;
			}
}

/* What the shown columns take, separators included. */
static size_t shown_width(const struct chm_table *t, const struct layout *l)
{
	size_t total = 0, shown = 0;
	for (size_t c = 0; c < t->ncol; c++)
		if (!l[c].hidden)
			total += l[c].w + (shown++ ? 2 : 0);
	return total;
}

/* Details are left out first, while the rest would not fit even cut to
 * a soft width. Then the long headers of number and time columns give,
 * down to their values (a cut header loses less than a cut value); then
 * text, down to a width that still says something; then text and headers
 * again, to the least. A row that is still too wide stays so: nothing
 * else can give without lying. */
static void fit(const struct chm_table *t, struct layout *l, int width)
{
	if (width <= 0)
		return;
	hide_details(t, l, (size_t)width);
	size_t total = shown_width(t, l);
	fit_pass(t, l, &total, (size_t)width, 0, MIN_CUT_WIDTH + 2);
	fit_pass(t, l, &total, (size_t)width, 1, 2 * MIN_CUT_WIDTH);
	fit_pass(t, l, &total, (size_t)width, 1, MIN_CUT_WIDTH);
	fit_pass(t, l, &total, (size_t)width, 0, MIN_CUT_WIDTH);
}

/* text in lines of at most width cells, broken at its spaces (a
 * word longer than width has a line of its own). */
static void add_wrapped(struct strbuf *out, const char *text, size_t width)
{
	size_t col = 0;
	while (*text) {
		size_t len = strcspn(text, " "), n = width_of_n(text, len);
		if (col && col + 1 + n > width) {
			strbuf_addc(out, '\n');
			col = 0;
		} else if (col) {
			strbuf_addc(out, ' ');
			col++;
		}
		strbuf_addf(out, "%.*s", (int)len, text);
		col += n;
		text += len + (text[len] == ' ');
	}
	strbuf_addc(out, '\n');
}

/* Under a table that left details out: which, and how to see them. */
static void add_left_out(struct strbuf *out, const struct chm_table *t, const struct layout *l,
			 int width)
{
	struct strbuf note = STRBUF_INIT;
	const char *sep = ": ";
	strbuf_addf(&note, "(left out to fit %d columns", width);
	for (size_t c = 0; c < t->ncol; c++)
		if (l[c].hidden) {
			strbuf_addf(&note, "%s%s", sep, l[c].header);
			sep = ", ";
		}
	strbuf_adds(&note, "; --wide shows them)");
	/* a terminal too narrow for the table gets the note in lines that
	 * still read as a sentence, not one word a line */
	if (*sep == ',')
		add_wrapped(out, note.buf, width < 40 ? 40 : (size_t)width);
	strbuf_release(&note);
}

/* A screen too narrow for the table even cut: one record at a time, a
 * column a line (as psql's \x), every column shown and each line within
 * width; a value longer than its room is cut with one "…". */
static void render_records(const struct chm_table *t, const struct layout *l, int width, int color,
			   struct strbuf *out)
{
	size_t lw = 1, room = (size_t)width;
	for (size_t c = 0; c < t->ncol; c++)
		if (width_of(l[c].header) > lw)
			lw = width_of(l[c].header);
	if (lw > room / 2)
		lw = room / 2 > 1 ? room / 2 : 1;
	size_t vw = room > lw + 2 ? room - lw - 2 : 1;
	for (size_t r = 0; r < t->nrow; r++) {
		char head[40];
		size_t n = (size_t)snprintf(head, sizeof(head), "-[ RECORD %zu ]", r + 1);
		strbuf_add(out, head, n < room ? n : room);
		for (; n < room && n < lw + 2 + vw; n++)
			strbuf_addc(out, '-');
		strbuf_addc(out, '\n');
		for (size_t c = 0; c < t->ncol; c++) {
			const struct chm_table_cell *cell = &t->cells[r * t->ncol + c];
			size_t cells = width_of(cell->text);
			add_fitted(out, l[c].header, lw, 0, 0, NULL);
			strbuf_adds(out, "  ");
			add_fitted(out, cell->text, cells < vw ? cells : vw, 0, 1, color ? status_color(cell) : NULL);
			strbuf_addc(out, '\n');
		}
	}
}

void chm_table_render(const struct chm_table *t, int width, int color, struct strbuf *out)
{
	struct layout *l = chm_xmalloc(sizeof(*l) * (t->ncol ? t->ncol : 1));
	size_t last = 0;

	column_layout(t, l);
	fit(t, l, width);
	if (width > 0 && t->nrow && shown_width(t, l) > (size_t)width) {
		render_records(t, l, width, color, out);
		goto done;
	}
	for (size_t c = 0; c < t->ncol; c++)
		if (!l[c].hidden)
			last = c;
	for (size_t r = 0; r <= t->nrow; r++) {
		for (size_t c = 0; c <= last && t->ncol; c++) {
			const struct chm_table_cell *cell = r ? &t->cells[(r - 1) * t->ncol + c] : NULL;
			if (l[c].hidden)
				continue;
			add_fitted(out, cell ? cell->text : l[c].header, l[c].w, l[c].right,
				   c == last, color && cell ? status_color(cell) : NULL);
			if (c < last)
				strbuf_adds(out, "  ");
		}
		strbuf_addc(out, '\n');
	}
	add_left_out(out, t, l, width);
done:
	for (size_t c = 0; c < t->ncol; c++)
		free(l[c].header);
	free(l);
}

void chm_table_release(struct chm_table *t)
{
	for (size_t c = 0; c < t->ncol; c++)
		free(t->names[c]);
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i].text);
	free(t->names);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

int chm_table_width(int fd, const char *columns_env)
{
	struct winsize ws;
	if (columns_env && *columns_env) {
		char *end;
		long n = strtol(columns_env, &end, 10);
		if (*end == '\0' && n > 0 && n < 100000)
			return (int)n;
	}
	if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return CHM_TABLE_DEFAULT_WIDTH;
}
