-- Net nps_responses: staging minus every row the audit's exclusion ledger lists for `nps_responses`.
-- With an empty ledger (the gross run) this is staging itself.
SELECT s.*
FROM stg_nps_responses AS s
WHERE NOT EXISTS (
    SELECT 1 FROM exclusions AS x WHERE x.dataset = 'nps_responses' AND x.record_key = s.record_key
)
