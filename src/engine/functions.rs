//! The SQL functions kpi-close's files use beyond DataFusion's own:
//!
//! - `local_date(ts)`: the calendar date of a UTC instant in the company timezone;
//! - `rate_burst(ts, seconds, limit) OVER (PARTITION BY who ORDER BY ts)`: the audit's rate rules in
//!   one linear sweep over each partition's sorted instants (see [`RateBurst`]).

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int64Array, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type, TimeUnit};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    ColumnarValue, PartitionEvaluator, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility, WindowUDF, WindowUDFImpl,
};
use datafusion::prelude::SessionContext;

/// Adds `local_date` and `rate_burst` to a session.
pub fn register_functions(ctx: &SessionContext, tz: Tz) {
    ctx.register_udf(ScalarUDF::from(LocalDate::new(tz)));
    ctx.register_udwf(WindowUDF::from(RateBurst::new()));
}

/// `local_date(ts)`: the calendar date of a UTC instant in the company timezone.
#[derive(Debug, PartialEq, Eq, Hash)]
struct LocalDate {
    tz: Tz,
    signature: Signature,
}

impl LocalDate {
    fn new(tz: Tz) -> LocalDate {
        LocalDate { tz, signature: Signature::exact(vec![utc()], Volatility::Immutable) }
    }
}

fn utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

impl ScalarUDFImpl for LocalDate {
    fn name(&self) -> &str {
        "local_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType, DataFusionError> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue, DataFusionError> {
        let input = args.args[0].to_array(args.number_rows)?;
        let Some(instants) = input.as_any().downcast_ref::<TimestampMicrosecondArray>() else {
            return Err(DataFusionError::Internal(format!(
                "local_date expects a UTC timestamp, got {}",
                input.data_type()
            )));
        };
        let dates: Date32Array = instants
            .iter()
            .map(|micros| {
                let instant = DateTime::<Utc>::from_timestamp_micros(micros?)?;
                Some(days_since_epoch(instant.with_timezone(&self.tz).date_naive()))
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(dates)))
    }
}

pub(crate) fn days_since_epoch(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)).num_days() as i32
}

/// `rate_burst(ts, seconds, limit) OVER (PARTITION BY who ORDER BY ts)`: the size of the burst a row
/// belongs to, 0 when none. A row *starts* a burst when more than `limit` rows (itself included) lie
/// in `[ts, ts + seconds]`; it *belongs* to every burst started in `[ts - seconds, ts]`, and its
/// value is the largest such start's count. It equals
///
/// ```sql
/// max(CASE WHEN following > limit THEN following ELSE 0 END)
///     OVER (PARTITION BY who ORDER BY ts RANGE BETWEEN seconds PRECEDING AND CURRENT ROW)
/// -- where following = count(*) OVER (PARTITION BY who ORDER BY ts
/// --                                  RANGE BETWEEN CURRENT ROW AND seconds FOLLOWING)
/// ```
///
/// but sees each partition whole and sweeps it once: two pointers bound the count, a monotone queue
/// keeps the window's maximum. (DataFusion runs those RANGE frames row by row with per-partition
/// state, which on near-unique keys — a visitor, an address — was most of the audit's time.) Rows
/// without an instant are in no burst. `seconds` and `limit` are constants.
#[derive(Debug, PartialEq, Eq, Hash)]
struct RateBurst {
    signature: Signature,
}

impl RateBurst {
    fn new() -> RateBurst {
        let int = [DataType::Int64, DataType::Int32];
        let signature = int
            .iter()
            .flat_map(|s| int.iter().map(move |l| TypeSignature::Exact(vec![utc(), s.clone(), l.clone()])))
            .collect();
        RateBurst { signature: Signature::one_of(signature, Volatility::Immutable) }
    }
}

impl WindowUDFImpl for RateBurst {
    fn name(&self) -> &str {
        "rate_burst"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(&self, _: PartitionEvaluatorArgs) -> Result<Box<dyn PartitionEvaluator>, DataFusionError> {
        Ok(Box::new(RateBurstEvaluator))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef, DataFusionError> {
        Ok(Arc::new(Field::new(field_args.name(), DataType::Int64, false)))
    }
}

#[derive(Debug)]
struct RateBurstEvaluator;

impl PartitionEvaluator for RateBurstEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef, DataFusionError> {
        let [instants, seconds, limit] = values else {
            return Err(DataFusionError::Internal("rate_burst takes (ts, seconds, limit)".into()));
        };
        let Some(instants) = instants.as_any().downcast_ref::<TimestampMicrosecondArray>() else {
            return Err(DataFusionError::Internal(format!(
                "rate_burst expects a UTC timestamp, got {}",
                instants.data_type()
            )));
        };
        let constant = |array: &ArrayRef, what: &str| -> Result<i64, DataFusionError> {
            let array = datafusion::arrow::compute::cast(array, &DataType::Int64)?;
            let array = array.as_primitive::<Int64Type>();
            match array.is_empty() || array.is_null(0) {
                true => Err(DataFusionError::Plan(format!("rate_burst: {what} must be a number"))),
                false => Ok(array.value(0)),
            }
        };
        let span = constant(seconds, "seconds")?.saturating_mul(1_000_000);
        let limit = constant(limit, "limit")?;
        let valid = instants.iter().flatten();
        if valid.clone().zip(valid.skip(1)).any(|(a, b)| b < a) {
            return Err(DataFusionError::Plan(
                "rate_burst needs its window ordered by the instant: ORDER BY ts".into(),
            ));
        }
        Ok(Arc::new(Int64Array::from(sweep(instants, span, limit, num_rows))))
    }
}

/// The sweep of [`RateBurst`] over one partition, sorted by instant (nulls at either end).
fn sweep(instants: &TimestampMicrosecondArray, span: i64, limit: i64, num_rows: usize) -> Vec<i64> {
    let mut out = vec![0i64; num_rows];
    // The rows with an instant, in order; nulls sort to one end and take part in no burst.
    let rows: Vec<usize> = (0..num_rows).filter(|&i| instants.is_valid(i)).collect();
    let at = |k: usize| instants.value(rows[k]);
    let n = rows.len();
    // following[k]: rows in [at(k), at(k) + span] — from k's first peer, so ties count alike.
    let mut following = vec![0i64; n];
    let (mut first, mut end) = (0usize, 0usize);
    for (k, count) in following.iter_mut().enumerate() {
        if at(k) != at(first) {
            first = k;
        }
        while end < n && at(end) <= at(k).saturating_add(span) {
            end += 1;
        }
        *count = (end - first) as i64;
    }
    // out[k]: the largest burst start in [at(k) - span, at(k)], through a queue of candidates whose
    // counts decrease from front to back.
    let start = |k: usize| if following[k] > limit { following[k] } else { 0 };
    let mut queue: VecDeque<usize> = VecDeque::new();
    let (mut next, mut oldest) = (0usize, 0usize);
    for k in 0..n {
        while next < n && at(next) <= at(k) {
            while queue.back().is_some_and(|&b| start(b) <= start(next)) {
                queue.pop_back();
            }
            queue.push_back(next);
            next += 1;
        }
        while oldest < n && at(oldest) < at(k).saturating_sub(span) {
            oldest += 1;
        }
        while queue.front().is_some_and(|&f| f < oldest) {
            queue.pop_front();
        }
        out[rows[k]] = queue.front().map_or(0, |&f| start(f));
    }
    out
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::StringArray;

    use super::*;

    async fn local_date_of(instant: &str, tz: Tz) -> String {
        let ctx = SessionContext::new();
        register_functions(&ctx, tz);
        let sql =
            format!("SELECT CAST(local_date(arrow_cast(TIMESTAMP '{instant}', 'Timestamp(µs, \"UTC\")')) AS VARCHAR)");
        let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        let column = datafusion::arrow::compute::cast(batches[0].column(0), &DataType::Utf8).unwrap();
        column.as_any().downcast_ref::<StringArray>().unwrap().value(0).to_string()
    }

    #[tokio::test]
    async fn local_date_is_the_calendar_day_in_the_company_timezone() {
        let shanghai = chrono_tz::Asia::Shanghai;
        assert_eq!(local_date_of("2026-10-31T15:59:59Z", shanghai).await, "2026-10-31");
        assert_eq!(local_date_of("2026-10-31T16:30:00Z", shanghai).await, "2026-11-01");
        // New York: 04:30Z is 00:30 EDT on 8 March 2026 (after the spring-forward night) but 23:30 EST
        // the evening before on 1 November (after clocks fall back).
        let new_york = chrono_tz::America::New_York;
        assert_eq!(local_date_of("2026-03-09T04:30:00Z", new_york).await, "2026-03-09");
        assert_eq!(local_date_of("2026-11-02T04:30:00Z", new_york).await, "2026-11-01");
    }

    /// `rate_burst` against the two RANGE frames it replaces, on clustered instants with ties, nulls
    /// and partitions of every size, for several limits.
    #[tokio::test]
    async fn rate_burst_equals_the_range_frames_it_replaces() {
        use datafusion::arrow::array::{RecordBatch, StringArray as Strings};
        use datafusion::arrow::datatypes::Schema;
        // A fixed pseudo-random walk: bursts of close events, pauses, repeats of the same second.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let (mut who, mut at) = (Vec::new(), Vec::new());
        for w in 0..40 {
            let mut t = 1_700_000_000_000_000i64;
            for _ in 0..next(60) {
                t += match next(4) {
                    0 => 0,
                    1 => next(3) as i64 * 1_000_000,
                    2 => next(30) as i64 * 1_000_000,
                    _ => next(200) as i64 * 1_000_000,
                };
                who.push(format!("w{w}"));
                at.push((next(25) != 0).then_some(t));
            }
        }
        let schema =
            Arc::new(Schema::new(vec![Field::new("who", DataType::Utf8, false), Field::new("at", utc(), true)]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(Strings::from(who)), Arc::new(TimestampMicrosecondArray::from(at).with_timezone("UTC"))],
        )
        .unwrap();
        let ctx = SessionContext::new();
        register_functions(&ctx, chrono_tz::UTC);
        ctx.register_batch("events", batch).unwrap();
        for limit in [0, 1, 3, 5, 8] {
            let sql = format!(
                "WITH counted AS (
                    SELECT who, at, count(*) OVER (PARTITION BY who ORDER BY at
                        RANGE BETWEEN CURRENT ROW AND INTERVAL '60' SECOND FOLLOWING) AS following
                    FROM events WHERE at IS NOT NULL
                ), framed AS (
                    SELECT who, at, max(CASE WHEN following > {limit} THEN following ELSE 0 END) OVER (
                        PARTITION BY who ORDER BY at RANGE BETWEEN INTERVAL '60' SECOND PRECEDING AND CURRENT ROW
                    ) AS burst FROM counted
                ), swept AS (
                    SELECT who, at, rate_burst(at, 60, {limit}) OVER (PARTITION BY who ORDER BY at) AS burst
                    FROM events
                )
                SELECT
                    (SELECT count(*) FROM (SELECT * FROM framed EXCEPT ALL SELECT * FROM swept WHERE at IS NOT NULL)) AS only_framed,
                    (SELECT count(*) FROM (SELECT * FROM swept WHERE at IS NOT NULL EXCEPT ALL SELECT * FROM framed)) AS only_swept,
                    (SELECT count(*) FROM swept WHERE at IS NULL AND burst <> 0) AS null_in_burst,
                    (SELECT count(*) FROM framed WHERE burst > 0) AS in_bursts"
            );
            let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
            let counts: Vec<i64> = (0..4).map(|c| batches[0].column(c).as_primitive::<Int64Type>().value(0)).collect();
            assert_eq!(&counts[..3], &[0, 0, 0], "limit {limit}: rows only one side has, nulls in a burst");
            assert!(counts[3] > 0, "limit {limit}: the data has bursts");
        }
        let backwards = "SELECT rate_burst(at, 60, 1) OVER (PARTITION BY who ORDER BY at DESC) FROM events";
        let err = ctx.sql(backwards).await.unwrap().collect().await.unwrap_err();
        assert!(err.to_string().contains("ordered by the instant"), "{err}");
    }
}
