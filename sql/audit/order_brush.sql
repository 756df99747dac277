-- rule: ORDER_BRUSH
-- dataset: orders
-- version: 1
-- class: SIVT brushing
-- catches: brushed sales: refunded within audit.refund_days of the order; bought by an employee (customer_email in people); or audit.same_day_orders or more orders from one customer on one day with the same amount (all of them)
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged month (a day lies inside one month) and the people export, for employees buying
-- One pass over the orders: each test is a column, a row is flagged when any holds, and its detail
-- is the first of them in text order (the employee test can match several people). One sort of
-- the orders, where three reads of them would sort three times and merge all at once.
SELECT record_key, month, min(detail) AS detail
FROM (
    SELECT
        o.record_key,
        o.month,
        least(
            CASE
                WHEN o.refunded_at IS NOT NULL
                    AND date_part('epoch', o.refunded_at) - date_part('epoch', o.order_at) <= $refund_days * 86400
                THEN 'refunded within the refund window'
            END,
            CASE WHEN p.person_id IS NOT NULL THEN concat('customer_email is ', p.person_id, '''s') END,
            CASE
                WHEN o.identical >= $same_day_orders
                THEN concat(CAST(o.identical AS VARCHAR), ' orders of ', CAST(o.amount AS VARCHAR), ' from ', o.customer_id, ' on one day')
            END
        ) AS detail
    FROM (
        SELECT
            record_key,
            month,
            customer_id,
            customer_email,
            amount,
            order_at,
            refunded_at,
            count(*) OVER (PARTITION BY customer_id, local_date(order_at), amount) AS identical
        FROM stg_orders
        WHERE month >= $judge_from AND month < $judge_to
    ) AS o
    LEFT JOIN people AS p ON lower(trim(p.email)) = lower(trim(o.customer_email))
) AS f
WHERE detail IS NOT NULL
GROUP BY record_key, month
