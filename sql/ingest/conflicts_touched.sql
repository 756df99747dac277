-- When a dataset's exports only grew: the keys more than one export holds among the keys the new
-- exports hold (`touched_exports`) or that have a row in a month written again (`touched_months`),
-- with the newest export holding each. The same answer as conflicts.sql for every key the months
-- written again hold, without grouping the whole history's keys.
WITH touched AS (
    SELECT DISTINCT s._key
    FROM staged AS s
    WHERE s._export_order IN (SELECT _export_order FROM touched_exports)
        OR s._month IN (SELECT _month FROM touched_months)
)
SELECT s._key, max(s._export_order) AS _newest
FROM staged AS s
JOIN touched AS t ON t._key = s._key
GROUP BY s._key
HAVING min(s._export_order) <> max(s._export_order)
