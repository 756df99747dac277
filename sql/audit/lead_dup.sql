-- rule: LEAD_DUP
-- dataset: leads
-- version: 1
-- class: GIVT duplicate
-- catches: a lead whose normalised e-mail (lower case, no +tag, no dots for Gmail) or phone (E.164, +86 for 11-digit Chinese mobiles) belongs to an earlier lead: all but the first
-- judges: every month in one pass: a row's verdict depends only on rows at or before it in its month and the look-back, so judging months together is judging each alone
-- reads: every month up to the judged one: a lead is judged against the leads before it
WITH normalised AS (
    SELECT
        record_key,
        lead_id,
        month,
        created_at,
        CASE
            WHEN email IS NULL OR strpos(email, '@') = 0 THEN NULL
            WHEN lower(split_part(trim(email), '@', 2)) IN ('gmail.com', 'googlemail.com') THEN
                concat(replace(split_part(split_part(lower(trim(email)), '@', 1), '+', 1), '.', ''), '@gmail.com')
            ELSE concat(split_part(split_part(lower(trim(email)), '@', 1), '+', 1), '@', lower(split_part(trim(email), '@', 2)))
        END AS email_key,
        CASE
            WHEN phone IS NULL THEN NULL
            WHEN length(regexp_replace(phone, '[^0-9]', '', 'g')) = 11 AND left(regexp_replace(phone, '[^0-9]', '', 'g'), 1) = '1'
                THEN concat('+86', regexp_replace(phone, '[^0-9]', '', 'g'))
            WHEN length(regexp_replace(phone, '[^0-9]', '', 'g')) >= 8 THEN concat('+', regexp_replace(phone, '[^0-9]', '', 'g'))
        END AS phone_key
    FROM stg_leads
    WHERE month < $judge_to
),
ranked AS (
    SELECT
        *,
        first_value(lead_id) OVER (PARTITION BY email_key ORDER BY created_at, record_key) AS first_by_email,
        first_value(lead_id) OVER (PARTITION BY phone_key ORDER BY created_at, record_key) AS first_by_phone
    FROM normalised
)
SELECT
    record_key,
    month,
    CASE
        WHEN email_key IS NOT NULL AND first_by_email <> lead_id THEN concat('same e-mail as ', first_by_email)
        ELSE concat('same phone as ', first_by_phone)
    END AS detail
FROM ranked
WHERE month >= $judge_from AND month < $judge_to AND ((email_key IS NOT NULL AND first_by_email <> lead_id) OR (phone_key IS NOT NULL AND first_by_phone <> lead_id))
