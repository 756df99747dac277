-- Orders in a foreign currency with no exchange rate on or before their date: their amount cannot be
-- converted, so revenue would silently miss them.
SELECT order_id, customer_id, order_at, amount, currency, source_file, source_line
FROM stg_orders
WHERE amount_base IS NULL AND month >= $month_from AND month < $month_to
