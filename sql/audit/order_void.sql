-- rule: ORDER_VOID
-- dataset: orders
-- version: 1
-- class: GIVT invalid_record
-- catches: orders that are not sales: refunded, cancelled or pending; amount zero or negative; a second copy of an order_id
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged month (copies are numbered within a month)
SELECT
    record_key,
    month,
    CASE
        WHEN record_key <> order_id THEN concat('copy of order ', order_id)
        WHEN status IN ('refunded', 'cancelled', 'pending') THEN concat('status ', status)
        ELSE concat('amount ', CAST(amount AS VARCHAR))
    END AS detail
FROM stg_orders
WHERE month >= $judge_from AND month < $judge_to AND (record_key <> order_id OR status IN ('refunded', 'cancelled', 'pending') OR amount <= 0)
