/* enums: the domain enums of the schema (sql/migrations/001_schema.sql,
 * platform and pipeline_type as 011_seed_enums.sql made them), for checking
 * input before it reaches PostgreSQL (which checks again). Keep in step. */
#ifndef CHM_ENUMS_H
#define CHM_ENUMS_H

extern const char *const chm_run_statuses[];     /* running success failed canceled skipped */
extern const char *const chm_platforms[];       /* airflow dbt cron vendor_api custom */
extern const char *const chm_pipeline_types[];  /* ingestion transform quality export healthcheck */
extern const char *const chm_environments[];
extern const char *const chm_rule_types[];
extern const char *const chm_channels[];

/* 1 when s is one of names. */
int chm_enum_has(const char *const *names, const char *s);
/* For a value names had before the seed enums (platform "dbt_cloud"), the
 * value it became ("dbt"); NULL otherwise. For messages only. */
const char *chm_enum_renamed(const char *const *names, const char *s);
/* running is the only non-terminal status. */
int chm_status_is_terminal(const char *status);

#endif
