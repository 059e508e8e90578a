/* fetch_int: what fetch.c and fetch_map.c share; not for programs. */
#ifndef CHM_FETCH_INT_H
#define CHM_FETCH_INT_H

#include <jansson.h>

struct chm_fetch_map {
	json_t *root;          /* owns params and statuses */
	char *items, *cursor;
	char *f_id, *f_start, *f_end, *f_status;
	char *path, *cursor_param, *limit_param, *since_param;
	int ordered;
	json_t *params;        /* borrowed from root */
	json_t *statuses;      /* borrowed from root */
};

#endif
