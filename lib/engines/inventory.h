/* inventory: applies the `client`, `pipeline` and `alert_rule` records of
 * chm-records(5) as upserts by natural key (client name; client + pipeline name;
 * rule scope + type + channel + destination), so an inventory file can be
 * applied again and again. Each record is its own statement (autocommit). */
#ifndef CHM_INVENTORY_H
#define CHM_INVENTORY_H

#include <jansson.h>
#include <libpq-fe.h>

#include "core/err.h"

enum chm_upsert_result { CHM_UPSERT_UNCHANGED, CHM_UPSERT_INSERTED, CHM_UPSERT_UPDATED };

/* type is "client", "pipeline" or "alert_rule". Returns an enum
 * chm_upsert_result, or -1 with err: status 65 for an invalid record or one
 * that names what does not exist or conflicts; otherwise a database error. */
int chm_inventory_apply(PGconn *conn, const char *type, json_t *rec, struct chm_err *err);
/* 1 when type is an inventory record type. */
int chm_inventory_is_type(const char *type);

#endif
