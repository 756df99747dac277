-- rule: IP_DATACENTER
-- dataset: web_events
-- version: 1
-- class: GIVT data_centre
-- catches: events from an IP in a cloud or hosting range (reference/datacenter_ranges.csv), unless it is in audit.office_ranges
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged months ($judge_from … $judge_to); its ledger depends on nothing later
-- Each event's address is looked up where it is read (a binary search over sorted ranges), no join:
-- nothing holds the events in memory (a hash join on them needed more than 1 GiB on the benchmark
-- year).
SELECT record_key, month, concat(ip, ' is in ', datacenter_range(ip)) AS detail
FROM stg_web_events
WHERE month >= $judge_from AND month < $judge_to AND ip IS NOT NULL
    AND datacenter_range(ip) IS NOT NULL AND office_range(ip) IS NULL
