-- Every rejected cell of one dataset's current exports, in file and line order.
SELECT dataset, file, line, "column", raw_value, reason
FROM staged_rejects
ORDER BY file, line, "column"
