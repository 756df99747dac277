-- Builds one dataset's lake rows from its staged exports.
-- `staged` holds every row of every current export, with `_key` (the dataset key as text) and
-- `_export_order` (later sorts newer). For each key, the rows of the newest export holding that key
-- are kept (rank 1: all of them, so duplicates within one export stay for the audit rules to judge).
-- A window over rows sorted by key, not a join against each key's newest export: sorts spill to
-- disk under `engine.memory_limit`, a hash join's build side does not.
-- Sorted so each month partition is written once and the bytes are the same on every run.
SELECT * EXCLUDE (_newest)
FROM (
    SELECT *, rank() OVER (PARTITION BY _key ORDER BY _export_order DESC) AS _newest
    FROM staged
) AS s
WHERE _newest = 1
ORDER BY _month, _export_order, source_line
