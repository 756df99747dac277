-- rule: UA_NONBROWSER
-- dataset: web_events
-- version: 1
-- class: GIVT non_browser
-- catches: events with an empty user agent, or one of an HTTP library, command-line tool or headless browser (reference/non_browser_user_agents.txt)
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged months ($judge_from … $judge_to); its ledger depends on nothing later
-- Each event's agent is matched where it is read, no join: the list functions remember the agents
-- they matched (src/audit/lists.rs), so a month of events costs a hash lookup each, and nothing
-- holds the events in memory (a hash join on them needed more than 1 GiB on the benchmark year).
SELECT record_key, month, concat('user agent matches ', non_browser_agent(user_agent)) AS detail
FROM stg_web_events
WHERE month >= $judge_from AND month < $judge_to AND user_agent IS NOT NULL
    AND non_browser_agent(user_agent) IS NOT NULL
UNION ALL
SELECT record_key, month, 'empty user agent' AS detail
FROM stg_web_events
WHERE month >= $judge_from AND month < $judge_to AND user_agent IS NULL
