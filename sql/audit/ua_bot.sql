-- rule: UA_BOT
-- dataset: web_events
-- version: 1
-- class: GIVT crawler
-- catches: events whose user agent matches a known crawler or bot pattern (reference/bot_user_agents.txt), unless UA_NONBROWSER already names it
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: the judged months ($judge_from … $judge_to); its ledger depends on nothing later
-- Each event's agent is matched where it is read, no join: the list functions remember the agents
-- they matched (src/audit/lists.rs), so a month of events costs a hash lookup each, and nothing
-- holds the events in memory (a hash join on them needed more than 1 GiB on the benchmark year).
SELECT record_key, month, concat('user agent matches ', bot_agent(user_agent)) AS detail
FROM stg_web_events
WHERE month >= $judge_from AND month < $judge_to AND user_agent IS NOT NULL
    AND bot_agent(user_agent) IS NOT NULL AND non_browser_agent(user_agent) IS NULL
