-- The keys more than one export of a dataset holds, with the newest export holding each: its rows
-- win (`_export_order`, later sorts newer). A grouped count over the staged keys — no window and no
-- sort of the rows; most datasets have none, so the result is small.
SELECT _key, max(_export_order) AS _newest
FROM staged
GROUP BY _key
HAVING min(_export_order) <> max(_export_order)
