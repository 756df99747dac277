-- Customer activity (app, site, store). It reaches a person and team through the customer's owner
-- as of the period an indicator counts it in (`stg_customers`), so it carries no attribution itself.
-- `record_key` is customer_id|active_at|activity.
SELECT
    concat_ws('|', a.customer_id, CAST(a.active_at AS VARCHAR), coalesce(a.activity, '')) AS record_key,
    a.customer_id,
    a.active_at,
    a.activity,
    a.month,
    a.source_file,
    a.source_line
FROM customer_activity AS a
