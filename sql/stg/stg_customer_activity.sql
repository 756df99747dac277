-- Customer activity (app, site, store), attributed through the customer's owner (see stg_customers).
-- `record_key` is customer_id|active_at|activity.
SELECT
    concat_ws('|', a.customer_id, CAST(a.active_at AS VARCHAR), coalesce(a.activity, '')) AS record_key,
    a.customer_id,
    a.active_at,
    a.activity,
    coalesce(c.person_id, 'unassigned') AS person_id,
    coalesce(c.team_id, 'unassigned') AS team_id,
    coalesce(c.channel, 'unassigned') AS channel,
    a.month,
    a.source_file,
    a.source_line
FROM customer_activity AS a
LEFT JOIN stg_customers AS c ON c.customer_id = a.customer_id
