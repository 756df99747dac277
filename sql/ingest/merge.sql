-- Builds one dataset's lake rows from its staged exports.
-- `staged` holds every row of every current export, with `_key` (the dataset key as text) and
-- `_export_order` (later sorts newer). For each key, the rows of the newest export holding that key
-- are kept; duplicates within one export are kept too, for the audit rules to judge.
-- Sorted so each month partition is written once and the bytes are the same on every run.
SELECT s.*
FROM staged AS s
JOIN (
    SELECT _key, max(_export_order) AS newest
    FROM staged
    GROUP BY _key
) AS n
  ON s._key = n._key AND s._export_order = n.newest
ORDER BY s._month, s._export_order, s.source_line
