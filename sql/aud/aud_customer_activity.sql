-- Net customer_activity: staging minus every row the audit's exclusion ledger lists for `customer_activity`.
-- With an empty ledger (the gross run) this is staging itself.
SELECT s.*
FROM stg_customer_activity AS s
WHERE NOT EXISTS (
    SELECT 1 FROM exclusions AS x WHERE x.dataset = 'customer_activity' AND x.record_key = s.record_key
)
