-- CHM schema: the four entities of the seed data model (clients, pipelines,
-- runs, alert_rules). Applied by `chm migrate` in one transaction.
-- Every unique key on runs includes pipeline_id, so runs can be distributed
-- by pipeline_id (Citus) with clients and pipelines as reference tables.

CREATE TYPE run_status AS ENUM ('running', 'success', 'failed', 'canceled', 'skipped');
CREATE TYPE platform AS ENUM ('airflow', 'dbt_cloud', 'dbt_core', 'openlineage', 'vendor', 'cron', 'other');
CREATE TYPE pipeline_type AS ENUM ('ingestion', 'transformation', 'export', 'data_quality',
                                   'orchestration', 'reporting', 'other');
CREATE TYPE environment AS ENUM ('dev', 'staging', 'prod');
CREATE TYPE alert_rule_type AS ENUM ('on_failure', 'failures_in_window');
CREATE TYPE alert_channel AS ENUM ('slack', 'email', 'webhook');

-- updated_at is kept current by the database, whoever updates the row.
CREATE FUNCTION chm_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TABLE clients (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description text,
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clients_name_key UNIQUE (name)
);

CREATE TABLE pipelines (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id     bigint NOT NULL REFERENCES clients (id),
    name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    platform      platform NOT NULL,
    pipeline_type pipeline_type NOT NULL,
    environment   environment NOT NULL DEFAULT 'prod',
    external_id   text CHECK (external_id IS NULL OR length(external_id) BETWEEN 1 AND 500),
    description   text,
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pipelines_client_name_key UNIQUE (client_id, name)
);
-- Null-safe: many pipelines may have no external_id; the ones that have one
-- are unique per client and platform (that is how feeds name them).
CREATE UNIQUE INDEX pipelines_client_platform_external_id_key
    ON pipelines (client_id, platform, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX pipelines_platform_idx ON pipelines (platform);

CREATE TABLE runs (
    -- identity gives each run a handle; identity of a run is its key below
    id               bigint GENERATED ALWAYS AS IDENTITY,
    pipeline_id      bigint NOT NULL REFERENCES pipelines (id),
    external_run_id  text NOT NULL CHECK (length(external_run_id) BETWEEN 1 AND 500),
    status           run_status NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    duration_seconds double precision CHECK (duration_seconds >= 0),
    rows_processed   bigint CHECK (rows_processed >= 0),
    error_message    text,
    status_reason    text,
    payload          jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT runs_pkey PRIMARY KEY (pipeline_id, external_run_id)
);
-- Latest run per pipeline (FR-006 order) and a pipeline's history, by index probe.
CREATE INDEX runs_pipeline_latest_idx
    ON runs (pipeline_id, started_at DESC NULLS LAST, finished_at DESC NULLS LAST, id DESC);
-- Failures (and any status) over a time window.
CREATE INDEX runs_status_started_idx ON runs (status, started_at);
-- Time windows across all pipelines, covering what the dashboards aggregate.
CREATE INDEX runs_started_idx ON runs (started_at) INCLUDE (pipeline_id, status, duration_seconds);

CREATE TABLE alert_rules (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id      bigint REFERENCES clients (id),
    pipeline_id    bigint REFERENCES pipelines (id),
    rule_type      alert_rule_type NOT NULL,
    threshold      integer,
    window_minutes integer,
    channel        alert_channel NOT NULL,
    destination    text NOT NULL CHECK (length(btrim(destination)) BETWEEN 1 AND 500),
    is_enabled     boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_rules_scope_check CHECK (client_id IS NOT NULL OR pipeline_id IS NOT NULL),
    CONSTRAINT alert_rules_threshold_check CHECK (threshold IS NULL OR threshold > 0),
    CONSTRAINT alert_rules_window_check CHECK (window_minutes IS NULL OR window_minutes > 0),
    CONSTRAINT alert_rules_parameters_check CHECK (
        rule_type = 'on_failure' OR (threshold IS NOT NULL AND window_minutes IS NOT NULL))
);
-- One enabled rule per scope + type + channel + destination (a null scope
-- part counts as equal: NULLS NOT DISTINCT).
CREATE UNIQUE INDEX alert_rules_enabled_key
    ON alert_rules (client_id, pipeline_id, rule_type, channel, destination) NULLS NOT DISTINCT
    WHERE is_enabled;
CREATE INDEX alert_rules_client_idx ON alert_rules (client_id);
CREATE INDEX alert_rules_pipeline_idx ON alert_rules (pipeline_id);

CREATE TRIGGER clients_touch BEFORE UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION chm_touch_updated_at();
CREATE TRIGGER pipelines_touch BEFORE UPDATE ON pipelines
    FOR EACH ROW EXECUTE FUNCTION chm_touch_updated_at();
CREATE TRIGGER runs_touch BEFORE UPDATE ON runs
    FOR EACH ROW EXECUTE FUNCTION chm_touch_updated_at();
CREATE TRIGGER alert_rules_touch BEFORE UPDATE ON alert_rules
    FOR EACH ROW EXECUTE FUNCTION chm_touch_updated_at();
