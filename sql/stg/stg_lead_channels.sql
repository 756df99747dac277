-- The channel of every lead (its first copy), for attributing orders to the lead they came from.
-- materialize: one row per lead, read by every order query
SELECT lead_id, channel
FROM stg_leads
WHERE record_key = lead_id
