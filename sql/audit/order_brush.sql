-- rule: ORDER_BRUSH
-- dataset: orders
-- version: 1
-- catches: brushed sales: refunded within audit.refund_days of the order; bought by an employee (customer_email in people); or audit.same_day_orders or more orders from one customer on one day with the same amount (all of them)
WITH same_day AS (
    SELECT
        record_key,
        count(*) OVER (PARTITION BY customer_id, local_date(order_at), amount) AS identical
    FROM stg_orders
),
found AS (
    SELECT record_key, month, 'refunded within the refund window' AS detail
    FROM stg_orders
    WHERE refunded_at IS NOT NULL
        AND date_part('epoch', refunded_at) - date_part('epoch', order_at) <= $refund_days * 86400
    UNION ALL
    SELECT o.record_key, o.month, concat('customer_email is ', p.person_id, '''s') AS detail
    FROM stg_orders AS o
    JOIN people AS p ON lower(trim(p.email)) = lower(trim(o.customer_email))
    UNION ALL
    SELECT o.record_key, o.month, concat(CAST(s.identical AS VARCHAR), ' orders of ', CAST(o.amount AS VARCHAR), ' from ', o.customer_id, ' on one day') AS detail
    FROM stg_orders AS o
    JOIN same_day AS s ON s.record_key = o.record_key
    WHERE s.identical >= $same_day_orders
)
SELECT record_key, month, min(detail) AS detail
FROM found
GROUP BY record_key, month
