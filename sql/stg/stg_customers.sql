-- Every customer who ever paid, owned by whoever took their first paid order (ties: lower order id).
-- Customer-level indicators (retention, repeat customers, CLV) reach a person and team this way.
-- materialize: one row per customer, read by every customer-level query
SELECT customer_id, person_id, team_id, channel
FROM (
    SELECT
        customer_id,
        person_id,
        team_id,
        channel,
        row_number() OVER (PARTITION BY customer_id ORDER BY order_at, order_id) AS nth
    FROM stg_orders
    WHERE status = 'paid'
) AS o
WHERE nth = 1
