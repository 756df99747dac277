-- Net orders: staging minus every row the audit's exclusion ledger lists for `orders`.
-- With an empty ledger (the gross run) this is staging itself.
SELECT s.*
FROM stg_orders AS s
WHERE NOT EXISTS (
    SELECT 1 FROM exclusions AS x WHERE x.dataset = 'orders' AND x.record_key = s.record_key
)
