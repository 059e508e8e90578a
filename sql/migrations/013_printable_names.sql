-- Client and pipeline names are shown in tables, reports and alerts, and are
-- how feeds and people name pipelines: no control characters (a terminal
-- escape in a name would reach every terminal that lists it). NOT VALID: a
-- database that already holds such a name keeps it; every new or changed
-- name is checked.
ALTER TABLE clients ADD CONSTRAINT clients_name_printable
    CHECK (name !~ '[[:cntrl:]]') NOT VALID;
ALTER TABLE pipelines ADD CONSTRAINT pipelines_name_printable
    CHECK (name !~ '[[:cntrl:]]') NOT VALID;
