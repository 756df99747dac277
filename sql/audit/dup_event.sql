-- rule: DUP_EVENT
-- dataset: web_events
-- version: 1
-- catches: the second and later copies of an event_id (the first copy is kept)
-- reads: the judged month ($month_from); its ledger depends on nothing later (copies are numbered within a month)
SELECT record_key, month, concat('copy of event ', event_id) AS detail
FROM stg_web_events
WHERE month = $month_from AND record_key <> event_id
