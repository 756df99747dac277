-- Exchange rates as validity ranges: a rate holds from its date until the next rate of its currency.
-- The company currency converts at 1 with no rate row needed.
-- materialize: a few rows per currency, joined by every money row
SELECT
    currency,
    date AS valid_from,
    lead(date) OVER (PARTITION BY currency ORDER BY date) AS valid_to,
    rate_to_base
FROM fx_rates
WHERE currency <> $currency
