/* runscan: chm-load's fast read of a canonical run line. jscan checks the
 * line as strictly as jansson would; the top-level members become a small
 * jansson object (so chm_run_from_json applies the same rules to it) and the
 * payload stays as its JSON text, which the loader sends as it is instead of
 * building a tree for it and printing it again. Anything unusual (escapes,
 * nested values outside the payload, another record type, invalid JSON) is
 * left to the general path, which also words the errors; so is a line with
 * anything redact.c would hide. */
#ifndef CHM_RUNSCAN_H
#define CHM_RUNSCAN_H

#include <jansson.h>
#include <stddef.h>

/* A new object holding every top-level member but the payload, the payload
 * object's text in payload and payload_len (NULL and 0 when it is absent or
 * null); or NULL when the line is not a plain run record. The text points
 * into line. */
json_t *chm_run_scan(const char *line, size_t len, const char **payload, size_t *payload_len);

#endif
