-- Every customer who paid by the session's end, owned by whoever took their first paid order (ties:
-- lower order id), from `first_order_at` on. Customer-level indicators (active customers, retention,
-- repeat customers, CLV) reach a person and team this way, each joining with
-- `first_order_at < $end_at`: a customer whose first order falls after a period is not yet anyone's
-- in it (as of the period's end, so later orders never move a closed period). `first_order_key` and
-- `first_lead_id` name that order and the lead it came from (`stg_acquisitions` reads them); of two
-- copies of one order the first copy (`O1` before `O1#2`), so the choice is the same on every engine
-- and the audit's exclusion of the second copy never hides a new customer.
-- materialize: one row per customer, read by every customer-level query
SELECT customer_id, person_id, team_id, channel, order_at AS first_order_at, record_key AS first_order_key,
    lead_id AS first_lead_id
FROM (
    SELECT
        record_key,
        lead_id,
        customer_id,
        person_id,
        team_id,
        channel,
        order_at,
        row_number() OVER (PARTITION BY customer_id ORDER BY order_at, order_id, record_key) AS nth
    FROM stg_orders
    WHERE status = 'paid'
) AS o
WHERE nth = 1
