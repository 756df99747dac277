-- Net ad_spend: staging minus every row the audit's exclusion ledger lists for `ad_spend`.
-- With an empty ledger (the gross run) this is staging itself.
SELECT s.*
FROM stg_ad_spend AS s
WHERE NOT EXISTS (
    SELECT 1 FROM exclusions AS x WHERE x.dataset = 'ad_spend' AND x.record_key = s.record_key
)
