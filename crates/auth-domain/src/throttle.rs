//! Login throttling. The contract: after [`MAX_ATTEMPTS`] consecutive
//! failures for one username within [`WINDOW_SECONDS`], every attempt is
//! refused until [`WINDOW_SECONDS`] after the last failure; a success
//! resets; and however many attempts arrive at once, at most
//! [`MAX_ATTEMPTS`] passwords are checked per window.
//!
//! Time is cut into 15-minute buckets. An attempt reads its bucket and the
//! one before it (and the one before that when it can matter, below), then
//! claims a number in its own bucket with the store's
//! atomic increment (`login:claims:{name}:{bucket}`): no read-then-write
//! gap, no compare-and-swap. It may check the password only if, counting
//! itself, the account has at most five *active* claims since its last
//! success: claims of its bucket, plus claims of the previous bucket whose
//! failure is less than 15 minutes old or not known yet (still being
//! checked), plus the claims its read could not see. For those, once it
//! has claimed, it reads the claims counters of the buckets either side and
//! counts the previous bucket's claims made since its read, and every claim
//! of the next bucket, as still being checked. The bucket two back counts
//! for the lock only (below): its claims were made more than 15 minutes
//! ago, outside any window that holds this check, and so a claim whose
//! outcome never came stops counting after at most 30 minutes.
//!
//! That second read is what makes the bound hold across a boundary:
//! instances' clocks differ by milliseconds, so a burst there claims in two
//! buckets at once, and an attempt's first read misses claims that land
//! after it. Any 15-minute span lies within two adjacent buckets. Of the
//! attempts checked in it, the last to claim got a number that counts
//! those of its own bucket and, reading after they had all claimed, saw
//! those of the other. So however the attempts' store calls interleave, at
//! most five passwords are checked in any 15-minute window between
//! successes. In such a burst attempts on both sides may count each other
//! and all be refused, so fewer may be checked. A refused attempt gives its
//! number back (`increment(-1)`) so that refusals never lengthen the lock.
//! When a later attempt claimed meanwhile and succeeded, that hands out
//! again a number its success forgives. An attempt that gets such a
//! number is refused and keeps it when it can tell: when its read before
//! claiming shows a reset at or above its number (only a number handed out
//! before can be), or its read after claiming shows its very number as the
//! reset. It cannot tell while that success is still checking its
//! password, its reset not yet written: the attempt is then checked, and
//! the success forgives its failure, so a sixth password can be checked
//! after the success, while the owner is signing in at that moment only.
//!
//! A success in the current bucket forgives the whole previous bucket, so
//! in the milliseconds in which clocks disagree about a boundary, claims
//! that a slower clock made there after the success, before an attempt's
//! first read, go uncounted by that attempt: up to four more checks after
//! a success, at that moment only.
//!
//! A failed claim records when it failed in a ring of five slots of its
//! bucket (`c mod 5`, holding `c`); a success records its claim number as the
//! bucket's reset, and forgives every claim before it in its bucket and
//! every claim of the buckets before. The reset is a plain write, so of two
//! successes at once the lower claim may write last; each success also
//! marks its own slot of the ring, and the bucket's reset is the highest
//! of the reset and those marks. Such a mark is lost only to the outcome
//! of a claim five numbers later, and by then five claims, as many as a
//! lock needs, lie above it. Before claiming, an attempt is refused at
//! once, without a claim, when what it read shows five known consecutive
//! failures within 15 minutes, the last under 15 minutes old:
//! that answer's `Retry-After` runs to 15 minutes after the last failure.
//! The first of those five is then under 30 minutes old, so it lies at most
//! two buckets back: wherever the boundaries fall among the five, three
//! buckets hold them all, and every attempt is refused until 15 minutes
//! after the last failure. The bucket two back is read only when the two
//! later ones hold one to four known failures since the last success:
//! with none there is no lock, with five the older are not among the five
//! newest, and a success forgives what came before it. A failure is marked
//! in the bucket it claimed in, with the time its check ended; so the first
//! failure of a check that straddled a boundary can lie three buckets back,
//! and a lock it starts then goes unseen for at most that check's length at
//! the start of a bucket.

use domain_core::kv::decode_counter;
use domain_core::{StoreError, Timestamp};
use serde::{Deserialize, Serialize};

use crate::keys;
use crate::username::Username;

pub const MAX_ATTEMPTS: u64 = 5;
pub const WINDOW_SECONDS: i64 = 15 * 60;
const WINDOW_MS: i64 = WINDOW_SECONDS * 1000;
/// Claim numbers looked at per bucket, at most: a bucket holds five checked
/// claims between successes, so more can only be refusals not yet given back.
const MAX_CLAIMS_SCANNED: u64 = 64;

/// The 15-minute bucket `now` falls in.
pub fn bucket(now: Timestamp) -> i64 {
    now.unix_millis().div_euclid(WINDOW_MS)
}

/// When failed claim `c` of a bucket failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureMark {
    pub c: u64,
    pub at_ms: i64,
}

/// What a slot of the ring holds: a failure, or a success's claim number.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Mark {
    Failed(FailureMark),
    Succeeded { succeeded: u64 },
}

/// How many keys a bucket holds: its claims, its reset and its marks.
const KEYS_PER_BUCKET: usize = 2 + MAX_ATTEMPTS as usize;

/// One bucket's throttle keys as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bucket {
    /// The claims counter.
    pub claims: u64,
    /// The highest claim number of a success in this bucket.
    pub reset: Option<u64>,
    pub marks: Vec<FailureMark>,
}

impl Bucket {
    fn keys(username: &Username, bucket: i64) -> Vec<String> {
        let mut keys = vec![
            keys::login_claims(username, bucket),
            keys::login_reset(username, bucket),
        ];
        keys.extend((0..MAX_ATTEMPTS).map(|slot| keys::login_mark(username, bucket, slot)));
        keys
    }

    fn decode(keys: &[String], values: &[Option<Vec<u8>>]) -> Result<Self, StoreError> {
        let counter = |index: usize| -> Result<Option<u64>, StoreError> {
            values[index]
                .as_deref()
                .map(|bytes| decode_counter(&keys[index], bytes).map(|n| n.max(0) as u64))
                .transpose()
        };
        let mut bucket = Self {
            claims: counter(0)?.unwrap_or(0),
            reset: counter(1)?,
            marks: Vec::new(),
        };
        // A slot that does not parse is ignored: its claim then counts as
        // unknown, which can only make the rule stricter.
        let marks = values[2..]
            .iter()
            .flatten()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok());
        for mark in marks {
            match mark {
                Mark::Failed(failure) => bucket.marks.push(failure),
                Mark::Succeeded { succeeded } => {
                    bucket.reset = bucket.reset.max(Some(succeeded));
                }
            }
        }
        Ok(bucket)
    }

    /// What claim `c` came to, as far as the store knows: `Some(at_ms)` for
    /// a recorded failure, `None` while unknown.
    fn failure_of(&self, c: u64) -> Option<i64> {
        self.marks
            .iter()
            .find(|mark| mark.c == c)
            .map(|mark| mark.at_ms)
    }

    /// The claims after `forgiven_up_to`, newest last, at most
    /// [`MAX_CLAIMS_SCANNED`] of them.
    fn claims_after(&self, forgiven_up_to: u64) -> impl Iterator<Item = u64> {
        let first = forgiven_up_to
            .max(self.claims.saturating_sub(MAX_CLAIMS_SCANNED))
            .saturating_add(1);
        first..=self.claims
    }
}

/// What the store says about one username's recent attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleView {
    /// The current bucket's number.
    pub bucket: i64,
    /// Two buckets back: five failures within 15 minutes, the last under
    /// 15 minutes old, may begin there.
    pub older: Bucket,
    pub previous: Bucket,
    pub current: Bucket,
}

/// The claims counters of the buckets either side of an attempt's own, and
/// its own bucket's reset, read after its claim.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Neighbours {
    pub previous_claims: u64,
    pub next_claims: u64,
    pub current_reset: Option<u64>,
}

impl Neighbours {
    /// The counters to read, in the order [`from_counts`](Self::from_counts)
    /// expects (a reset is a decimal, so it reads as one).
    pub fn keys(username: &Username, bucket: i64) -> [String; 3] {
        [
            keys::login_claims(username, bucket - 1),
            keys::login_claims(username, bucket + 1),
            keys::login_reset(username, bucket),
        ]
    }

    pub fn from_counts(counts: &[i64]) -> Self {
        let count = |index: usize| counts.get(index).map_or(0, |n| (*n).max(0) as u64);
        Self {
            previous_claims: count(0),
            next_claims: count(1),
            // Claims start at 1: no success holds 0.
            current_reset: Some(count(2)).filter(|reset| *reset > 0),
        }
    }
}

/// An attempt's fate before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Check the password; claim number `claim` of the current bucket.
    Check { claim: u64 },
    /// Refused; retry after this many seconds.
    Refused { retry_after_seconds: u64 },
    /// Refused: a success already holds this claim number, so it would be
    /// forgiven before it is checked. A refused attempt that gave its
    /// number back after a later one had claimed made the counter hand a
    /// number out again; it is not given back in turn, which would only
    /// hand it out once more. The next attempt gets a new number.
    Reused,
}

impl ThrottleView {
    /// The keys of the previous and the current bucket, in the order
    /// [`decode`](Self::decode) expects.
    pub fn keys(username: &Username, bucket: i64) -> Vec<String> {
        let mut keys = Bucket::keys(username, bucket - 1);
        keys.extend(Bucket::keys(username, bucket));
        keys
    }

    /// The view of the previous and the current bucket; the older one is
    /// read only when it can matter ([`needs_older`](Self::needs_older)).
    pub fn decode(
        bucket: i64,
        keys: &[String],
        values: &[Option<Vec<u8>>],
    ) -> Result<Self, StoreError> {
        Ok(Self {
            bucket,
            older: Bucket::default(),
            previous: Bucket::decode(&keys[..KEYS_PER_BUCKET], &values[..KEYS_PER_BUCKET])?,
            current: Bucket::decode(&keys[KEYS_PER_BUCKET..], &values[KEYS_PER_BUCKET..])?,
        })
    }

    /// Whether the bucket two back can make a lock: only when the two read
    /// hold between one and four known failures since their last success.
    /// A lock's newest failure is under 15 minutes old, so without one
    /// here there is none; with five here, the older ones are not among the
    /// five newest. So a login whose last attempts succeeded, the common
    /// case, reads two buckets, not three.
    pub fn needs_older(&self) -> bool {
        if self.previous.reset.is_some() || self.current.reset.is_some() {
            return false;
        }
        let failures = self.recent_failures().len();
        (1..MAX_ATTEMPTS as usize).contains(&failures)
    }

    /// The keys of the bucket two back, for [`with_older`](Self::with_older).
    pub fn older_keys(username: &Username, bucket: i64) -> Vec<String> {
        Bucket::keys(username, bucket - 2)
    }

    pub fn with_older(
        mut self,
        keys: &[String],
        values: &[Option<Vec<u8>>],
    ) -> Result<Self, StoreError> {
        self.older = Bucket::decode(keys, values)?;
        Ok(self)
    }

    /// Known failures of the previous and the current bucket since the
    /// last success.
    fn recent_failures(&self) -> Vec<i64> {
        let mut failures: Vec<i64> = self.previous_streak().into_iter().flatten().collect();
        failures.extend(self.current_streak().into_iter().flatten());
        failures
    }

    /// Claims of an earlier bucket still forgiven by no success, with their
    /// failure time when known. A success forgives every bucket before its
    /// own.
    fn streak(bucket: &Bucket, later: &[&Bucket]) -> Vec<Option<i64>> {
        if later.iter().any(|later| later.reset.is_some()) {
            return Vec::new();
        }
        bucket
            .claims_after(bucket.reset.unwrap_or(0))
            .map(|c| bucket.failure_of(c))
            .collect()
    }

    fn previous_streak(&self) -> Vec<Option<i64>> {
        Self::streak(&self.previous, &[&self.current])
    }

    /// Claims of the current bucket since its last success, with their
    /// failure time when known.
    fn current_streak(&self) -> Vec<Option<i64>> {
        self.current
            .claims_after(self.current_forgiven())
            .map(|c| self.current.failure_of(c))
            .collect()
    }

    fn older_streak(&self) -> Vec<Option<i64>> {
        Self::streak(&self.older, &[&self.previous, &self.current])
    }

    fn current_forgiven(&self) -> u64 {
        self.current.reset.unwrap_or(0)
    }

    /// `Some(seconds)` when the account is locked at `now` by five known
    /// consecutive failures within 15 minutes: until 15 minutes after the
    /// newest, rounded up.
    pub fn locked(&self, now: Timestamp) -> Option<u64> {
        let mut failures: Vec<i64> = self.older_streak().into_iter().flatten().collect();
        failures.extend(self.recent_failures());
        failures.sort_unstable();
        let last_five = failures.get(failures.len().checked_sub(MAX_ATTEMPTS as usize)?..)?;
        let (oldest, newest) = (last_five[0], last_five[last_five.len() - 1]);
        if newest - oldest > WINDOW_MS {
            // Five failures, but spread over more than the window.
            return None;
        }
        seconds_until(newest + WINDOW_MS, now)
    }

    /// Whether claim number `claim` of the current bucket, just taken, may
    /// check its password, as far as what was read before it can tell.
    pub fn admit(&self, claim: u64, now: Timestamp) -> Admission {
        self.admit_counting(claim, now, 0)
    }

    /// [`admit`](Self::admit), given also the neighbouring buckets' claims
    /// counters as read after the claim. What they add is claims this view
    /// cannot know about, so each counts as still being checked: the
    /// previous bucket's claims since the view was read (even when a
    /// success in the current bucket forgave that bucket, as they came
    /// after it), and every claim of the next bucket.
    pub fn admit_after_claim(
        &self,
        claim: u64,
        now: Timestamp,
        neighbours: Neighbours,
    ) -> Admission {
        // A reset above this claim may be a success that claimed after it
        // and checked first: the usual race, not a number handed out twice.
        if neighbours.current_reset == Some(claim) {
            return Admission::Reused;
        }
        let unseen = neighbours
            .previous_claims
            .saturating_sub(self.previous.claims)
            .saturating_add(neighbours.next_claims);
        self.admit_counting(claim, now, unseen)
    }

    fn admit_counting(&self, claim: u64, now: Timestamp, unseen: u64) -> Admission {
        if self.current_forgiven() >= claim {
            return Admission::Reused;
        }
        // The older bucket's claims are not counted: they were made over 15
        // minutes ago, outside any window this check falls in, so the bound
        // on checks does not need them, and a claim whose outcome never
        // came stops counting after at most 30 minutes. What they can
        // still do, lock the account, is for `locked` to say.
        let now_ms = now.unix_millis();
        let previous = self.previous_streak();
        let active_previous = previous
            .iter()
            .filter(|failed_at| failed_at.is_none_or(|at| now_ms - at < WINDOW_MS))
            .count() as u64;
        let active_current = claim.saturating_sub(self.current_forgiven());
        if active_previous + active_current + unseen <= MAX_ATTEMPTS {
            return Admission::Check { claim };
        }
        // Until every active claim has aged out. While one is still being
        // checked nobody can say: it may fail and lock the account, or
        // succeed and forgive the others. A check takes well under a
        // second, so ask again in one; the answer then says which (a lock
        // with its own `Retry-After`, or a check).
        let current = self.current_streak();
        // Claims taken between this view's read and this attempt's own are
        // still being checked as well.
        let raced = claim > self.current.claims.max(self.current_forgiven()) + 1;
        let unknown = unseen > 0 || raced || previous.iter().chain(&current).any(Option::is_none);
        let newest = previous.iter().chain(&current).flatten().copied().max();
        let retry_after_seconds = match newest {
            Some(newest) if !unknown => seconds_until(newest + WINDOW_MS, now).unwrap_or(1),
            _ => 1,
        };
        Admission::Refused {
            retry_after_seconds,
        }
    }
}

/// Whole seconds from `now` to `until_ms`, rounded up, at most a window: a
/// racing attempt may have recorded its failure with a clock read a moment
/// after this request's `now`.
fn seconds_until(until_ms: i64, now: Timestamp) -> Option<u64> {
    let remaining_ms = until_ms - now.unix_millis();
    (remaining_ms > 0).then(|| {
        (remaining_ms as u64)
            .div_ceil(1000)
            .min(WINDOW_SECONDS as u64)
    })
}

/// The write that records failed claim `claim` of `bucket` at `now`.
pub fn failure_mark(
    username: &Username,
    bucket: i64,
    claim: u64,
    now: Timestamp,
) -> (String, Vec<u8>) {
    let mark = FailureMark {
        c: claim,
        at_ms: now.unix_millis(),
    };
    (
        keys::login_mark(username, bucket, claim % MAX_ATTEMPTS),
        serde_json::to_vec(&mark).expect("marks serialize"),
    )
}

/// The writes that make a success (claim `claim` of `bucket`) forgive every
/// claim before it: the bucket's reset, and its own slot of the ring.
pub fn reset(username: &Username, bucket: i64, claim: u64) -> [(String, Vec<u8>); 2] {
    [
        (
            keys::login_reset(username, bucket),
            claim.to_string().into_bytes(),
        ),
        (
            keys::login_mark(username, bucket, claim % MAX_ATTEMPTS),
            serde_json::to_vec(&Mark::Succeeded { succeeded: claim }).expect("marks serialize"),
        ),
    ]
}

/// Every key the throttle may write for `username` in `bucket`: what the
/// expiry collector deletes once the bucket no longer matters.
pub fn bucket_keys(username: &Username, bucket: i64) -> Vec<String> {
    Bucket::keys(username, bucket)
}

/// The expiry bucket under which `bucket`'s keys are registered: collected
/// once it has passed, so from the start of `bucket + 4`. Attempts read
/// them until `bucket + 2` ends, as the oldest of their three; the bucket
/// of slack keeps them for a read that lands after a collector whose clock
/// is ahead, or that a slow request makes late.
pub fn expiry_due(bucket: i64) -> i64 {
    bucket + 3
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of a bucket.
    const T0: i64 = 2_000_000 * WINDOW_MS;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_millis(T0 + seconds * 1000)
    }

    /// A view at `now` of failures at the given seconds after T0, numbered
    /// per bucket from 1, with `reset` claims forgiven in T0's bucket.
    fn view(now: i64, failures: &[i64], reset: Option<u64>) -> ThrottleView {
        let current = bucket(at(now));
        let mut older = Bucket::default();
        let mut previous = Bucket::default();
        let mut this = Bucket::default();
        for seconds in failures {
            let target = match bucket(at(*seconds)) {
                b if b == current => &mut this,
                b if b == current - 1 => &mut previous,
                b if b == current - 2 => &mut older,
                _ => continue,
            };
            target.claims += 1;
            let c = target.claims;
            target
                .marks
                .retain(|mark| mark.c % MAX_ATTEMPTS != c % MAX_ATTEMPTS);
            target.marks.push(FailureMark {
                c,
                at_ms: at(*seconds).unix_millis(),
            });
        }
        if let Some(reset) = reset {
            match current - bucket(at(0)) {
                0 => this.reset = Some(reset),
                1 => previous.reset = Some(reset),
                _ => older.reset = Some(reset),
            }
        }
        ThrottleView {
            bucket: current,
            older,
            previous,
            current: this,
        }
    }

    #[test]
    fn four_failures_do_not_lock_and_admit_a_fifth() {
        let view = view(4, &[0, 1, 2, 3], None);
        assert_eq!(view.locked(at(4)), None);
        assert_eq!(view.admit(5, at(4)), Admission::Check { claim: 5 });
        // Claim 5, taken after this view was read, is still being checked.
        assert_eq!(
            view.admit(6, at(4)),
            Admission::Refused {
                retry_after_seconds: 1
            }
        );
    }

    #[test]
    fn five_failures_lock_until_fifteen_minutes_after_the_last() {
        let five = view(40, &[0, 10, 20, 30, 40], None);
        assert_eq!(five.locked(at(40)), Some(900));
        assert_eq!(five.locked(at(39)), Some(900), "never more than a window");
        assert_eq!(five.locked(at(41)), Some(899));
        assert_eq!(five.locked(at(939)), Some(1));
        assert_eq!(five.locked(at(940)), None);
    }

    #[test]
    fn the_lock_spans_the_bucket_boundary() {
        let five = view(910, &[850, 860, 870, 880, 905], None);
        assert_eq!(five.locked(at(910)), Some(895));
    }

    #[test]
    fn the_lock_spans_three_buckets() {
        // Four failures at the end of T0's bucket, the fifth 14:59 after
        // the first, near the end of the next: seen from the start of the
        // bucket after that, the first four are two buckets back.
        let five = view(1800, &[898, 898, 899, 899, 1797], None);
        assert_eq!(five.locked(at(1800)), Some(897));
        assert_eq!(five.locked(at(2696)), Some(1));
        assert_eq!(five.locked(at(2697)), None);
        // They were claimed more than 15 minutes ago: no check to count.
        assert_eq!(five.admit(1, at(1800)), Admission::Check { claim: 1 });
        let spread = view(1800, &[897, 898, 899, 899, 1798], None);
        assert_eq!(spread.locked(at(1800)), None, "901 s apart");
    }

    #[test]
    fn a_success_forgives_the_older_bucket() {
        let failures = [898, 898, 899, 899, 1797];
        // In the older bucket, after its four failures.
        assert_eq!(view(1800, &failures, Some(4)).locked(at(1800)), None);
        // Only the claims before it: here the first of six.
        assert_eq!(
            view(1800, &[897, 898, 898, 899, 899, 1797], Some(1)).locked(at(1800)),
            Some(897)
        );
        // In the previous bucket or the current one.
        for success_in in [1, 2] {
            let mut view = view(1800, &failures, None);
            let bucket = if success_in == 1 {
                &mut view.previous
            } else {
                &mut view.current
            };
            bucket.reset = Some(0);
            assert_eq!(view.locked(at(1800)), None, "{success_in}");
        }
    }

    #[test]
    fn unknown_claims_of_the_older_bucket_do_not_count() {
        let mut view = view(1800, &[], None);
        view.older.claims = 5;
        assert_eq!(view.locked(at(1800)), None);
        assert_eq!(view.admit(1, at(1800)), Admission::Check { claim: 1 });
    }

    #[test]
    fn failures_spread_over_more_than_the_window_do_not_lock() {
        let spread = view(1200, &[0, 240, 480, 720, 960], None);
        assert_eq!(spread.locked(at(1200)), None);
        // Two of the previous bucket's failures are under 15 minutes old,
        // plus one in this bucket: two more may be checked.
        assert_eq!(spread.admit(2, at(1200)), Admission::Check { claim: 2 });
        assert_eq!(spread.admit(3, at(1200)), Admission::Check { claim: 3 });
        assert_eq!(
            spread.admit(4, at(1200)),
            Admission::Refused {
                retry_after_seconds: 1
            }
        );
        // With every claim's failure known, until 15 minutes after the
        // newest.
        let known = view(1200, &[0, 240, 480, 720, 960, 1000, 1100], None);
        assert_eq!(
            known.admit(4, at(1200)),
            Admission::Refused {
                retry_after_seconds: 800
            }
        );
    }

    /// A number given back below a later success's is handed out again:
    /// checking it would check a password the reset already forgave.
    #[test]
    fn a_number_a_success_holds_is_never_checked() {
        let mut after_success = view(10, &[1, 2, 3, 4], Some(7));
        after_success.current.claims = 6;
        assert_eq!(after_success.admit(7, at(10)), Admission::Reused);
        assert_eq!(
            after_success.admit(8, at(10)),
            Admission::Check { claim: 8 }
        );

        let before_success = view(10, &[1, 2, 3, 4], Some(5));
        let success_read_after_claim = Neighbours {
            current_reset: Some(7),
            ..Neighbours::default()
        };
        assert_eq!(
            before_success.admit_after_claim(7, at(10), success_read_after_claim),
            Admission::Reused
        );
        // A success that claimed after this attempt and finished first.
        assert_eq!(
            before_success.admit_after_claim(6, at(10), success_read_after_claim),
            Admission::Check { claim: 6 }
        );
    }

    #[test]
    fn claims_still_being_checked_count_and_refusals_ask_again_in_a_second() {
        let mut racing = view(1, &[], None);
        racing.current.claims = 5;
        assert_eq!(racing.locked(at(1)), None, "nothing known yet");
        assert_eq!(
            racing.admit(6, at(1)),
            Admission::Refused {
                retry_after_seconds: 1
            }
        );
    }

    #[test]
    fn claims_taken_after_the_view_was_read_are_still_being_checked() {
        // Read before anyone claimed; seven racers claimed before this one.
        let burst = view(1, &[], None);
        assert_eq!(
            burst.admit(8, at(1)),
            Admission::Refused {
                retry_after_seconds: 1
            }
        );
    }

    #[test]
    fn unknown_claims_of_the_previous_bucket_count_until_it_is_out_of_view() {
        let mut view = view(950, &[], None);
        view.previous.claims = 5;
        assert_eq!(
            view.admit(1, at(950)),
            Admission::Refused {
                retry_after_seconds: 1
            }
        );
    }

    #[test]
    fn claims_the_view_could_not_see_count_as_still_being_checked() {
        let check = |claim| Admission::Check { claim };
        let refused = Admission::Refused {
            retry_after_seconds: 1,
        };
        let neighbours = |previous_claims, next_claims| Neighbours {
            previous_claims,
            next_claims,
            current_reset: None,
        };
        // Four failures just before the boundary, read before a fifth
        // claim landed there.
        let after = view(901, &[850, 860, 870, 880], None);
        assert_eq!(after.admit(1, at(901)), check(1));
        assert_eq!(
            after.admit_after_claim(1, at(901), neighbours(4, 0)),
            check(1)
        );
        assert_eq!(
            after.admit_after_claim(1, at(901), neighbours(5, 0)),
            refused
        );
        // Just before the boundary, every claim past it counts.
        let before = view(899, &[850, 860, 870], None);
        assert_eq!(
            before.admit_after_claim(4, at(899), neighbours(0, 1)),
            check(4)
        );
        assert_eq!(
            before.admit_after_claim(4, at(899), neighbours(0, 2)),
            refused
        );
        // A success after the boundary forgives the claims before it that
        // the view saw, not those made since.
        let mut reset = view(901, &[850, 860, 870, 880, 890], None);
        reset.current.reset = Some(1);
        reset.current.claims = 1;
        assert_eq!(
            reset.admit_after_claim(2, at(901), neighbours(9, 0)),
            check(2)
        );
        assert_eq!(
            reset.admit_after_claim(2, at(901), neighbours(10, 0)),
            refused
        );
        // Claims given back meanwhile leave fewer than were read.
        assert_eq!(
            reset.admit_after_claim(2, at(901), neighbours(3, 0)),
            check(2)
        );
    }

    #[test]
    fn a_success_forgives_what_came_before() {
        let reset = view(5, &[0, 1, 2, 3], Some(4));
        assert_eq!(reset.admit(5, at(5)), Admission::Check { claim: 5 });
        assert_eq!(reset.admit(9, at(5)), Admission::Check { claim: 9 });
        assert_eq!(
            reset.admit(10, at(5)),
            Admission::Refused {
                retry_after_seconds: 1
            }
        );
        // A success in this bucket forgives the previous bucket entirely.
        let mut across = view(910, &[850, 860, 870, 880, 890], None);
        assert_eq!(across.locked(at(910)), Some(880));
        across.current.reset = Some(1);
        across.current.claims = 1;
        assert_eq!(across.locked(at(910)), None);
        assert_eq!(across.admit(2, at(910)), Admission::Check { claim: 2 });
    }

    #[test]
    fn state_decodes_from_store_values_of_either_counter_encoding() {
        let username = Username::parse("alice").unwrap();
        let keys = ThrottleView::keys(&username, 7);
        assert_eq!(keys.len(), 14);
        assert_eq!(keys[0], "login:claims:alice:6");
        assert_eq!(keys[1], "login:reset:alice:6");
        assert_eq!(keys[2], "login:mark:alice:6:0");
        assert_eq!(keys[7], "login:claims:alice:7");
        assert_eq!(keys[7..], bucket_keys(&username, 7)[..]);
        let older_keys = ThrottleView::older_keys(&username, 7);
        assert_eq!(older_keys, bucket_keys(&username, 5));
        let (mark_key, mark) = failure_mark(&username, 7, 6, at(0));
        assert_eq!(mark_key, keys[7 + 2 + 1]);
        let (older_mark_key, older_mark) = failure_mark(&username, 5, 3, at(0));
        assert_eq!(older_mark_key, older_keys[2 + 3]);
        let mut values = vec![None; 14];
        values[7] = Some(b"6".to_vec());
        values[8] = Some(b"1".to_vec());
        values[10] = Some(mark);
        let decoded = ThrottleView::decode(7, &keys, &values).unwrap();
        assert_eq!(
            (
                decoded.current.claims,
                decoded.current.reset,
                decoded.current.marks.len()
            ),
            (6, Some(1), 1)
        );
        assert_eq!(decoded.previous, Bucket::default());
        let mut older_values = vec![None; 7];
        older_values[0] = Some(b"3".to_vec());
        older_values[5] = Some(older_mark);
        let decoded = decoded.with_older(&older_keys, &older_values).unwrap();
        assert_eq!(
            (decoded.older.claims, decoded.older.marks[0].c),
            (3, 3),
            "the older bucket"
        );
        values[7] = Some(6i64.to_le_bytes().to_vec());
        assert_eq!(
            ThrottleView::decode(7, &keys, &values)
                .unwrap()
                .current
                .claims,
            6
        );
    }

    #[test]
    fn the_reset_is_the_highest_success_whichever_wrote_last() {
        let username = Username::parse("alice").unwrap();
        let keys = ThrottleView::keys(&username, 7);
        let mut values = vec![None; 14];
        values[7] = Some(b"3".to_vec());
        // Claim 2 succeeded and wrote first; claim 1 succeeded and wrote
        // last, its reset over claim 2's; claim 3 failed.
        let [_, (second_key, second_mark)] = reset(&username, 7, 2);
        let [(reset_key, first_reset), (first_key, first_mark)] = reset(&username, 7, 1);
        let (failed_key, failed_mark) = failure_mark(&username, 7, 3, at(0));
        for (key, value) in [
            (reset_key, first_reset),
            (second_key, second_mark),
            (first_key, first_mark),
            (failed_key, failed_mark),
        ] {
            let index = keys.iter().position(|k| *k == key).unwrap();
            values[index] = Some(value);
        }
        let current = ThrottleView::decode(7, &keys, &values).unwrap().current;
        assert_eq!(current.reset, Some(2));
        assert_eq!(current.marks.len(), 1, "the failure, and no success");
        assert_eq!(current.claims_after(2).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn the_older_bucket_is_needed_only_with_one_to_four_recent_failures() {
        // No failure since the last success: no lock can stand.
        assert!(!view(1800, &[], None).needs_older());
        let mut succeeded = view(1800, &[1797], None);
        succeeded.previous.claims = 2;
        succeeded.previous.reset = Some(2);
        assert!(!succeeded.needs_older(), "a success after the failure");
        // A success forgives the older bucket, whatever failed after it.
        let mut failed_since = view(1800, &[1797, 1799], None);
        failed_since.previous.reset = Some(1);
        assert_eq!(failed_since.recent_failures(), [at(1799).unix_millis()]);
        assert!(!failed_since.needs_older(), "a failure after a success");
        // One to four: the older bucket may hold the rest of five.
        assert!(view(1800, &[1797], None).needs_older());
        assert!(view(1800, &[900, 1000, 1100, 1797], None).needs_older());
        // Five: the newest five are here.
        assert!(!view(1800, &[900, 1000, 1100, 1200, 1797], None).needs_older());
    }
}
