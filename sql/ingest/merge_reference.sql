-- A reference dataset's lake rows (people, teams, …: no month partition) from its staged exports:
-- every row, less those of a key a newer export also holds (`winners`, from conflicts.sql).
SELECT s.*
FROM staged AS s
LEFT JOIN winners AS w ON w._key = s._key
WHERE w._key IS NULL OR s._export_order = w._newest
