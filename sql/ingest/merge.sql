-- One month of a dataset's lake rows from its staged exports: every row of the month, less those of a
-- key a newer export also holds (`winners`, from conflicts.sql). All copies of a key inside the
-- winning export stay, numbered at staging (`key_copy`), for the audit rules to judge.
SELECT s.*
FROM staged AS s
LEFT JOIN winners AS w ON w._key = s._key
WHERE s._month = $month
    AND (w._key IS NULL OR s._export_order = w._newest)
