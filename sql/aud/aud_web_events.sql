-- Net web_events: staging minus every row the audit's exclusion ledger lists for `web_events`.
-- With an empty ledger (the gross run) this is staging itself.
SELECT s.*
FROM stg_web_events AS s
WHERE NOT EXISTS (
    SELECT 1 FROM exclusions AS x WHERE x.dataset = 'web_events' AND x.record_key = s.record_key
)
