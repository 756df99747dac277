-- rule: DUP_EVENT
-- dataset: web_events
-- version: 1
-- class: GIVT duplicate
-- catches: the second and later copies of an event_id (the first copy is kept)
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged months ($judge_from … $judge_to); its ledger depends on nothing later (copies are numbered within a month)
SELECT record_key, month, concat('copy of event ', event_id) AS detail
FROM stg_web_events
WHERE month >= $judge_from AND month < $judge_to AND record_key <> event_id
