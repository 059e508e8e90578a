/* enums: the domain enums of sql/migrations/001_schema.sql, for checking
 * input before it reaches PostgreSQL (which checks again). Keep in step. */
#ifndef CHM_ENUMS_H
#define CHM_ENUMS_H

extern const char *const chm_run_statuses[];     /* running success failed canceled skipped */
extern const char *const chm_platforms[];
extern const char *const chm_pipeline_types[];
extern const char *const chm_environments[];
extern const char *const chm_rule_types[];
extern const char *const chm_channels[];

/* 1 when s is one of names. */
int chm_enum_has(const char *const *names, const char *s);
/* running is the only non-terminal status. */
int chm_status_is_terminal(const char *status);

#endif
