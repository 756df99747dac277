-- Net social_stats: staging minus every row the audit's exclusion ledger lists for `social_stats`.
-- With an empty ledger (the gross run) this is staging itself.
SELECT s.*
FROM stg_social_stats AS s
WHERE NOT EXISTS (
    SELECT 1 FROM exclusions AS x WHERE x.dataset = 'social_stats' AND x.record_key = s.record_key
)
