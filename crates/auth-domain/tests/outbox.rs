//! Delivery bookkeeping: kept through every failure, removed once
//! delivered, dead-lettered only on 400/422 and replayable, back-off per
//! target, no head-of-line blocking, flush within a budget, and what each
//! endpoint writes.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_domain::{
    FlushReport, LoginError, OutboxSettings, RegisterError, Round, Settings, SideEffect,
    TokenError, Unexpected,
};
use domain_core::kv::{InMemoryStore, Op};
use domain_core::{Clock, KeyValueStore, PageLimit};
use support::interleave::{Interleaved, Moment};
use support::*;

/// A write path that sweeps: a registration under a fresh name.
fn sweep(service: &Harness) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("sweeper{}", NEXT.fetch_add(1, Ordering::SeqCst));
    service
        .register(registration(&name, PASSWORD))
        .expect("registered");
}

/// Makes `target` back off for a minute, as after several failed rounds.
fn back_off(service: &Harness, target: &str) {
    let until = service.clock.now().unix_millis() + 60_000;
    let state = serde_json::json!({"failures": 4, "retry_at_ms": until});
    service
        .store
        .set(
            &format!("outbox:target:{target}"),
            state.to_string().as_bytes(),
        )
        .unwrap();
}

fn pending_ids(service: &Harness) -> Vec<String> {
    outbox_keys(&service.store)
        .iter()
        .map(|key| {
            let bytes = service.store.get(key).unwrap().unwrap();
            let entry: auth_domain::OutboxEntry = serde_json::from_slice(&bytes).unwrap();
            entry.effect.id().to_owned()
        })
        .collect()
}

/// The entries `ids` reached their receiver and left the outbox, which is
/// then empty: gone without being delivered would be a loss.
fn assert_delivered_and_gone(service: &Harness, ids: &[String]) {
    assert!(
        outbox_keys(&service.store).is_empty(),
        "the outbox is empty"
    );
    let delivered = service.delivery.delivered_ids();
    for id in ids {
        assert!(delivered.contains(id), "{id} delivered: {delivered:?}");
    }
}

/// Registers `count` users while the peers are down, whose deliveries then
/// fail for ever (a receiver answering 500 to just these).
fn register_stuck(service: &Harness, count: usize) {
    service.delivery.set(Peers::Down);
    for i in 0..count {
        register(service, &format!("stuck{i}"), PASSWORD);
    }
    for id in pending_ids(service) {
        service.delivery.poison(&id);
    }
}

#[test]
fn delivered_side_effects_leave_no_entries() {
    let service = service();
    register(&service, "alice", PASSWORD);
    let token = service.login("alice", PASSWORD).unwrap().token;
    service.logout(&token).unwrap();
    assert_eq!(
        service.delivery.delivered_actions(),
        ["register", "login", "logout"]
    );
    assert_eq!(
        service.delivery.delivered().len(),
        5,
        "plus welcome and login alert"
    );
    assert!(outbox_keys(&service.store).is_empty());
    // The request's own deliveries go out in a round of their own kind.
    assert!(
        service
            .delivery
            .attempts()
            .iter()
            .all(|(_, round)| *round == Round::WithOwn)
    );
}

#[test]
fn undelivered_entries_are_kept_and_delivered_later_with_the_same_ids() {
    let service = service();
    service.delivery.set(Peers::Down);
    register(&service, "alice", PASSWORD);
    let kept = outbox_keys(&service.store);
    assert_eq!(kept.len(), 2);
    let first_ids = service.delivery.attempted_ids();
    assert_eq!(first_ids.len(), 2);

    service.delivery.set(Peers::Up);
    service.delivery.forget();
    // Their attempts got no answer, so they may still be under way at the
    // receiver: left alone until ripe.
    service.clock.advance_seconds(1);
    register(&service, "bob", PASSWORD);
    assert_eq!(outbox_keys(&service.store), kept);

    service.clock.advance_seconds(10);
    register(&service, "carol", PASSWORD);
    assert!(outbox_keys(&service.store).is_empty());
    let delivered = service.delivery.delivered_ids();
    for id in &first_ids {
        assert_eq!(
            delivered.iter().filter(|d| *d == id).count(),
            1,
            "{id} once"
        );
    }
}

#[test]
fn failed_retries_do_not_multiply_entries() {
    let service = service();
    service.delivery.set(Peers::Down);
    register(&service, "alice", PASSWORD);
    let alice_ids = service.delivery.attempted_ids();
    for _ in 0..5 {
        service.clock.advance_seconds(60);
        sweep(&service);
    }
    let ids = service.delivery.attempted_ids();
    // Her own request's try, then one per sweep: the first four sweeps find
    // at most 8 older entries and retry them all; the fifth finds 10 and
    // retries 8 of them from a random place.
    for id in &alice_ids {
        let tries = ids.iter().filter(|seen| *seen == id).count();
        assert!((5..=6).contains(&tries), "{id} retried: {tries}");
    }
    assert_eq!(outbox_keys(&service.store).len(), 2 + 5 * 2);
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 12, "one id per delivery: {ids:?}");
}

#[test]
fn only_400_and_422_end_an_entry_and_it_goes_to_the_dead_letters() {
    let service = service();
    service.delivery.set(Peers::Rejecting);
    let profile = register(&service, "alice", PASSWORD);
    assert!(outbox_keys(&service.store).is_empty());
    let page = service.dead_letters(limit(10), None).unwrap();
    assert_eq!(page.waiting, 2);
    assert_eq!(page.letters.len(), 2);
    assert!(
        page.letters[0].number > page.letters[1].number,
        "newest first"
    );
    for letter in &page.letters {
        assert_eq!(letter.status, 422);
        assert!(letter.answer.contains("validation_failed"));
        assert_eq!(letter.entry.effect.user_id(), profile.user_id);
    }
    let report = service.flush_outbox().unwrap();
    assert_eq!(report.dead_letters, 2);
}

#[test]
fn configuration_problems_and_server_errors_keep_entries() {
    let service = service();
    // 401 (a mismatched key), 404 (a wrong URL), 5xx: answered, failing.
    service.delivery.set(Peers::Erroring);
    register(&service, "alice", PASSWORD);
    service.clock.advance_seconds(60);
    assert_eq!(service.flush_outbox().unwrap().pending, 2);
    // Not reachable, or not configured at all.
    service.delivery.set(Peers::Down);
    service.clock.advance_seconds(60);
    assert_eq!(service.flush_outbox().unwrap().pending, 2);
    assert_eq!(service.dead_letters(limit(10), None).unwrap().waiting, 0);
    assert_eq!(outbox_keys(&service.store).len(), 2);
}

/// Two replays of one letter at once both read it before either removes
/// it: both put it back (the receiver deduplicates by its id), and it
/// stops waiting once.
#[test]
fn a_letter_replayed_twice_at_once_stops_waiting_once() {
    let service = service();
    service.delivery.set(Peers::Rejecting);
    register(&service, "alice", PASSWORD);
    let page = service.dead_letters(limit(10), None).unwrap();
    assert_eq!(page.waiting, 2);
    let letter = &page.letters[0];
    let key = format!("outbox:dead:{:020}", letter.number);
    let as_read = service
        .store
        .get(&key)
        .unwrap()
        .expect("the letter is stored");

    assert!(service.replay_dead_letter(letter.number).unwrap().is_some());
    // The second replay read the letter before the first removed it.
    service.store.set(&key, &as_read).unwrap();
    assert!(service.replay_dead_letter(letter.number).unwrap().is_some());

    assert_eq!(service.dead_letters(limit(10), None).unwrap().waiting, 1);
}

/// Letters older than one listing's window are reached by paging on with
/// `next_before`, and the last page says there is nothing older.
#[test]
fn older_dead_letters_are_reached_page_by_page() {
    let service = service();
    service.delivery.set(Peers::Rejecting);
    register(&service, "alice", PASSWORD);
    // 1,200 numbers spent and gone since (replayed), then two more letters.
    for counter in ["outbox:dead:seq", "outbox:dead:replayed"] {
        service.store.increment(counter, 1_200).unwrap();
    }
    register(&service, "bob", PASSWORD);
    let numbers = |page: &auth_domain::DeadLetterPage| -> Vec<u64> {
        page.letters.iter().map(|letter| letter.number).collect()
    };

    let first = service.dead_letters(limit(1), None).unwrap();
    assert_eq!((numbers(&first), first.waiting), (vec![1_204], 4));
    let second = service.dead_letters(limit(10), first.next_before).unwrap();
    assert_eq!(numbers(&second), [1_203]);
    // Nothing more in its window of 1,000 numbers; older ones lie below it.
    assert_eq!(second.next_before, Some(204));
    let third = service.dead_letters(limit(10), second.next_before).unwrap();
    assert_eq!(numbers(&third), [2, 1]);
    assert_eq!(third.next_before, None);
}

/// A replay that fails to count its letter leaves the letter listed and
/// waiting, and gives back its claim: replaying it again finishes the job.
#[test]
fn a_replay_that_cannot_count_its_letter_leaves_it_to_replay_again() {
    let service = service();
    service.delivery.set(Peers::Rejecting);
    register(&service, "alice", PASSWORD);
    let number = service.dead_letters(limit(10), None).unwrap().letters[0].number;
    let mut failed_once = false;
    service.store.fail_when(move |call| {
        let counting = call.op == Op::Increment && call.keys == ["outbox:dead:replayed"];
        let fail = counting && !failed_once;
        failed_once |= fail;
        fail
    });

    assert!(service.replay_dead_letter(number).is_err());
    let page = service.dead_letters(limit(10), None).unwrap();
    assert_eq!(page.waiting, 2);
    assert!(page.letters.iter().any(|letter| letter.number == number));

    assert!(service.replay_dead_letter(number).unwrap().is_some());
    let page = service.dead_letters(limit(10), None).unwrap();
    assert_eq!(page.waiting, 1);
    assert!(page.letters.iter().all(|letter| letter.number != number));
}

/// A letter that cannot be read is a corrupt record (a 500 naming its
/// key), not a store outage, and replaying it writes nothing.
#[test]
fn an_unreadable_dead_letter_is_reported_as_corrupt_and_left_alone() {
    let service = service();
    service.delivery.set(Peers::Rejecting);
    register(&service, "alice", PASSWORD);
    let number = service.dead_letters(limit(10), None).unwrap().letters[0].number;
    let key = format!("outbox:dead:{number:020}");
    service.store.set(&key, b"{not json").unwrap();
    let outbox_before = outbox_keys(&service.store);

    let error = service.replay_dead_letter(number).unwrap_err();

    assert!(
        matches!(&error, Unexpected::Corrupt { key: named, .. } if *named == key),
        "{error}"
    );
    assert_eq!(outbox_keys(&service.store), outbox_before);
    assert_eq!(
        service.store.get(&key).unwrap().as_deref(),
        Some(&b"{not json"[..])
    );
}

#[test]
fn a_replayed_dead_letter_is_delivered_with_its_original_id() {
    let service = service();
    service.delivery.set(Peers::Rejecting);
    register(&service, "alice", PASSWORD);
    let letters = service.dead_letters(limit(10), None).unwrap().letters;
    let ids: Vec<String> = letters
        .iter()
        .map(|l| l.entry.effect.id().to_owned())
        .collect();

    service.delivery.set(Peers::Up);
    service.delivery.forget();
    // Back in the outbox under the next numbers after alice's two.
    for (letter, seq) in letters.iter().zip([3, 4]) {
        assert_eq!(
            service.replay_dead_letter(letter.number).unwrap(),
            Some(seq)
        );
        assert_eq!(
            service.replay_dead_letter(letter.number).unwrap(),
            None,
            "gone once replayed"
        );
    }
    assert_eq!(service.dead_letters(limit(10), None).unwrap().waiting, 0);
    assert_eq!(outbox_keys(&service.store).len(), 2);
    let report = service.flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (2, 0));
    let mut delivered = service.delivery.delivered_ids();
    delivered.sort();
    let mut expected = ids;
    expected.sort();
    assert_eq!(delivered, expected);
}

#[test]
fn a_dead_letter_that_cannot_be_written_keeps_its_entry() {
    let service = service();
    service.delivery.set(Peers::Rejecting);
    service
        .store
        .fail_when(|call| call.op == Op::Increment && call.touches("outbox:dead:seq"));
    register(&service, "alice", PASSWORD);
    assert_eq!(outbox_keys(&service.store).len(), 2, "kept");
    assert!(
        service
            .delivery
            .notes()
            .iter()
            .any(|n| n.starts_with("outbox_dead_letter_failed"))
    );
}

#[test]
fn a_dead_letter_number_without_its_letter_is_not_counted_as_waiting() {
    let service = service();
    service.delivery.set(Peers::Rejecting);
    service.store.fail_when(once(|call| {
        call.op == Op::Set && call.touches("outbox:dead:0")
    }));
    register(&service, "alice", PASSWORD);
    // One letter written; the other entry kept, and dead-lettered by the flush.
    assert_eq!(outbox_keys(&service.store).len(), 1, "kept");
    service.clock.advance_seconds(60);
    let report = service.flush_outbox().unwrap();
    let page = service.dead_letters(limit(10), None).unwrap();
    assert_eq!(page.letters.len(), 2);
    assert_eq!((report.dead_letters, page.waiting), (2, 2));
}

#[test]
fn a_failed_delete_keeps_the_entry_for_another_harmless_delivery() {
    let service = service();
    service.store.fail_when(once(|call| {
        matches!(call.op, Op::Delete | Op::DeleteMany) && call.touches("outbox:entry:")
    }));
    register(&service, "alice", PASSWORD);
    assert_eq!(outbox_keys(&service.store).len(), 2);
    service.clock.advance_seconds(10);
    let report = service.flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (2, 0));
    assert!(outbox_keys(&service.store).is_empty());
}

#[test]
fn back_off_is_per_target_and_ends_with_the_first_success() {
    let service = service();
    service.delivery.set_target("analytics", Peers::Down);
    register(&service, "alice", PASSWORD);
    // The welcome went out; the event is kept, and analytics backs off.
    assert_eq!(outbox_keys(&service.store).len(), 1);
    assert!(
        service
            .store
            .get("outbox:target:analytics")
            .unwrap()
            .is_some()
    );
    assert!(
        service
            .store
            .get("outbox:target:notification")
            .unwrap()
            .is_none()
    );

    service.clock.advance_seconds(10);
    sweep(&service);
    // Analytics still down: two events kept.
    let kept = pending_ids(&service);
    assert_eq!(kept.len(), 2);

    // Analytics is back. The next request's own event reaches it, and
    // every other pending analytics entry is due at once, whatever the
    // back-off said.
    service.clock.advance_seconds(6);
    back_off(&service, "analytics");
    service.delivery.set(Peers::Up);
    sweep(&service);
    assert_delivered_and_gone(&service, &kept);
    // The back-off is over; what is left is the one look at the backlog
    // due once entries that failed just before are ripe.
    let state = target_state(&service, "analytics").expect("a recheck is due");
    assert_eq!(
        (state["failures"].as_i64(), state["retry_at_ms"].as_i64()),
        (Some(0), Some(0))
    );
    service.clock.advance_seconds(5);
    sweep(&service);
    assert_eq!(target_state(&service, "analytics"), None);
}

fn target_state(service: &Harness, target: &str) -> Option<serde_json::Value> {
    service
        .store
        .get(&format!("outbox:target:{target}"))
        .unwrap()
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
}

/// Counts the store calls that read outbox entries (a sweep reading the
/// backlog), without failing any.
fn backlog_reads(service: &Harness) -> Arc<AtomicUsize> {
    let reads = Arc::new(AtomicUsize::new(0));
    let counted = reads.clone();
    service.store.fail_when(move |call| {
        if matches!(call.op, Op::Get | Op::GetMany) && call.touches("outbox:entry:") {
            counted.fetch_add(1, Ordering::SeqCst);
        }
        false
    });
    reads
}

#[test]
fn while_all_is_well_one_request_in_a_few_reads_the_backlog() {
    let service = service();
    // The first round ever reads it (the mark has no checkpoint yet).
    register(&service, "warmup", PASSWORD);
    let reads = backlog_reads(&service);
    let mut reading = 0;
    for n in 0..8 {
        let before = reads.load(Ordering::SeqCst);
        register(&service, &format!("user{n}"), PASSWORD);
        reading += usize::from(reads.load(Ordering::SeqCst) > before);
    }
    // Sixteen entry numbers, two of them multiples of eight.
    assert_eq!(reading, 2);
    assert!(outbox_keys(&service.store).is_empty());
}

/// After a first round (which sets the mark's checkpoint), a registration
/// that stops after its write, before delivering (its instance was
/// stopped): nothing failed, so no target backs off. Its entries' ids.
fn registration_never_delivered(service: &Harness) -> Vec<String> {
    register(service, "warmup", PASSWORD);
    let (written, never_settled) = service.service.register(registration("ghost", PASSWORD));
    written.unwrap();
    drop(never_settled);
    let ghost = pending_ids(service);
    assert_eq!(ghost.len(), 2);
    ghost
}

#[test]
fn when_requests_are_far_apart_the_next_one_sweeps_what_was_left() {
    let service = service();
    let ghost = registration_never_delivered(&service);
    // Past the mark's grace period: its first sweep reads the backlog,
    // whoever's turn it is.
    service.clock.advance_seconds(31);
    sweep(&service);
    assert_delivered_and_gone(&service, &ghost);
}

#[test]
fn an_entry_its_request_never_delivered_is_swept_within_a_few_requests() {
    let service = service();
    let ghost = registration_never_delivered(&service);
    service.clock.advance_seconds(10);
    for _ in 0..4 {
        sweep(&service);
    }
    assert_delivered_and_gone(&service, &ghost);
}

#[test]
fn sweeps_skip_a_backing_off_target_but_not_the_others() {
    let service = service();
    service.delivery.set(Peers::Down);
    register(&service, "alice", PASSWORD);
    service.clock.advance_seconds(10);
    back_off(&service, "analytics");
    service.delivery.set_target("notification", Peers::Up);
    service.delivery.forget();
    sweep(&service);
    // The welcome (notification) was swept; the analytics event was not
    // tried, as analytics is backing off; the sweeper's own were.
    let attempts = service.delivery.attempts();
    let swept: Vec<&str> = attempts
        .iter()
        .filter(|(_, round)| *round == Round::WithOwn)
        .map(|(delivery, _)| delivery.target())
        .collect();
    assert_eq!(
        swept.iter().filter(|t| **t == "analytics").count(),
        1,
        "{attempts:?}"
    );
    assert_eq!(
        swept.iter().filter(|t| **t == "notification").count(),
        2,
        "{attempts:?}"
    );
}

#[test]
fn entries_that_keep_failing_do_not_hold_back_the_others() {
    let service = service();
    // Twenty registrations whose deliveries fail for ever, then one that
    // is fine.
    register_stuck(&service, 20);
    register(&service, "fine", PASSWORD);
    let fine: Vec<String> = pending_ids(&service)
        .into_iter()
        .filter(|id| !service.delivery.attempted_ids()[..40].contains(id))
        .collect();
    assert_eq!(fine.len(), 2);
    service.delivery.set(Peers::Up);
    // Sweeps: each reads the front of the backlog and a random stretch
    // further on, and picks among the due entries from a random start, so
    // how many it takes varies: in 1,500 runs the median was 2, one in a
    // hundred took over 60, the most 199. The bound only ends a run that
    // would never get there.
    for _ in 0..1000 {
        service.clock.advance_seconds(40);
        sweep(&service);
        if fine
            .iter()
            .all(|id| service.delivery.delivered_ids().contains(id))
        {
            break;
        }
    }
    assert!(
        fine.iter()
            .all(|id| service.delivery.delivered_ids().contains(id)),
        "swept past the stuck ones"
    );
    assert_eq!(outbox_keys(&service.store).len(), 40);
}

#[test]
fn flush_delivers_everything_past_entries_that_keep_failing() {
    let service = service();
    service.delivery.set(Peers::Down);
    for i in 0..40 {
        register(&service, &format!("stuck{i}"), PASSWORD);
    }
    for id in pending_ids(&service) {
        service.delivery.poison(&id);
    }
    for i in 0..30 {
        register(&service, &format!("later{i}"), PASSWORD);
    }
    // Unanswered attempts (a timeout) are left to their request until ripe.
    service.clock.advance_seconds(5);
    service.delivery.set(Peers::Up);
    let report = service.flush_outbox().unwrap();
    assert_eq!(report.delivered, 60);
    assert_eq!(report.pending, 80);
    assert!(report.complete);
}

/// An entry that keeps failing holds the low-water mark; a backlog longer
/// than one flush can read behind it is still reached, flush after flush.
#[test]
fn each_flush_goes_on_where_the_last_ran_out_of_time() {
    let settings = Settings {
        outbox: OutboxSettings {
            flush_budget_ms: 1_000,
            flush_page: 16,
            ..OutboxSettings::default()
        },
        ..Settings::default()
    };
    let service = service_with(InMemoryStore::sqlite_like(), settings);
    register_stuck(&service, 1);
    service.delivery.set(Peers::Up);
    // Traffic whose own entries are delivered at once: numbers go on.
    register(&service, "alice", PASSWORD);
    for _ in 0..150 {
        service.login("alice", PASSWORD).unwrap();
    }
    // Two entries stranded far behind the stuck ones.
    service.delivery.set(Peers::Down);
    register(&service, "bob", PASSWORD);
    let stuck = service.delivery.attempted_ids()[..2].to_vec();
    let bob: Vec<String> = pending_ids(&service)
        .into_iter()
        .filter(|id| !stuck.contains(id))
        .collect();
    assert_eq!(bob.len(), 2);
    service.delivery.set(Peers::Up);
    // Each page of the outbox now costs 100 ms: a flush reads ten of the
    // twenty.
    let clock = service.clock.clone();
    service.store.fail_when(move |call| {
        if call.op == Op::GetMany && call.touches("outbox:entry:") {
            clock.advance(std::time::Duration::from_millis(100));
        }
        false
    });
    let first = service.flush_outbox().unwrap();
    assert!(!first.complete, "{first:?}");
    let cursor = |service: &Harness| service.store.get("outbox:flush_from").unwrap();
    assert!(cursor(&service).is_some(), "where the first flush stopped");
    let delivered = |service: &Harness| {
        bob.iter()
            .all(|id| service.delivery.delivered_ids().contains(id))
    };
    assert!(!delivered(&service), "out of the first flush's reach");
    service.clock.advance_seconds(60);
    let second = service.flush_outbox().unwrap();
    assert!(delivered(&service), "{second:?}");
    assert!(!second.complete, "it did not start at the mark");
    assert_eq!(
        cursor(&service),
        None,
        "it reached the end: the next starts at the mark"
    );
}

/// A flush out of time partway through a page leaves the page's untried
/// entries to the next flush, which starts with them.
#[test]
fn a_flush_out_of_time_within_a_page_leaves_its_untried_entries_to_the_next() {
    let settings = Settings {
        outbox: OutboxSettings {
            flush_budget_ms: 1_000,
            flush_page: 4,
            flush_batch: 2,
            ..OutboxSettings::default()
        },
        ..Settings::default()
    };
    let service = service_with(InMemoryStore::sqlite_like(), settings);
    // Ten pages of entries that keep failing, holding the mark, then one
    // page: alice's two entries and bob's.
    register_stuck(&service, 20);
    register(&service, "alice", PASSWORD);
    let stuck_and_alice = pending_ids(&service);
    register(&service, "bob", PASSWORD);
    let bob: Vec<String> = pending_ids(&service)
        .into_iter()
        .filter(|id| !stuck_and_alice.contains(id))
        .collect();
    assert_eq!((stuck_and_alice.len(), bob.len()), (42, 2));
    service.delivery.set(Peers::Up);
    // Reading a page costs 100 ms, a delivery that succeeds a second.
    let clock = service.clock.clone();
    service.store.fail_when(move |call| {
        if call.touches("outbox:entry:") {
            match call.op {
                Op::GetMany => clock.advance(std::time::Duration::from_millis(100)),
                Op::DeleteMany => clock.advance(std::time::Duration::from_secs(1)),
                _ => {}
            }
        }
        false
    });
    let delivered = |service: &Harness| {
        bob.iter()
            .all(|id| service.delivery.delivered_ids().contains(id))
    };

    // From the mark: out of time in the tenth page.
    service.flush_outbox().unwrap();
    // Resumed: out of time after alice's entries, before bob's.
    service.clock.advance_seconds(60);
    service.flush_outbox().unwrap();
    assert!(!delivered(&service));
    service.clock.advance_seconds(60);
    let third = service.flush_outbox().unwrap();
    assert!(delivered(&service), "{third:?}");
}

/// Flushes that read pages of four numbers and send two entries at once,
/// within a second: with [`deliveries_take_a_second`], a flush is out of
/// time after the first batch it delivers.
fn short_flushes() -> Harness {
    let settings = Settings {
        outbox: OutboxSettings {
            flush_budget_ms: 1_000,
            flush_page: 4,
            flush_batch: 2,
            ..OutboxSettings::default()
        },
        ..Settings::default()
    };
    service_with(InMemoryStore::sqlite_like(), settings)
}

/// From now on, deleting delivered entries takes a second.
fn deliveries_take_a_second(service: &Harness) {
    let clock = service.clock.clone();
    service.store.fail_when(move |call| {
        if call.op == Op::DeleteMany && call.touches("outbox:entry:") {
            clock.advance(std::time::Duration::from_secs(1));
        }
        false
    });
}

/// Where the next flush goes on, as the last one that ran out of time left it.
fn flush_cursor(service: &Harness) -> Option<u64> {
    let bytes = service.store.get("outbox:flush_from").unwrap()?;
    Some(String::from_utf8(bytes).unwrap().parse().unwrap())
}

/// Entries 1 and 2 keep failing; 3 to 6 wait for peers that are back. The
/// first flush tries 1 and 2, delivers 3 and 4 and is out of time; the
/// second goes on at 5 and delivers 5 and 6. Its report.
fn flush_resumed_past_entries_that_keep_failing(service: &Harness) -> FlushReport {
    register_stuck(service, 1);
    for name in ["alice", "bob"] {
        register(service, name, PASSWORD);
    }
    assert_eq!(outbox_keys(&service.store).len(), 6);
    service.delivery.set(Peers::Up);
    service.clock.advance_seconds(60);
    deliveries_take_a_second(service);
    let first = service.flush_outbox().unwrap();
    assert!(!first.complete, "{first:?}");
    assert_eq!(
        flush_cursor(service),
        Some(5),
        "where the first flush stopped"
    );
    service.clock.advance_seconds(60);
    let resumed = service.flush_outbox().unwrap();
    assert_eq!(resumed.delivered, 2, "{resumed:?}");
    assert_eq!(
        outbox_keys(&service.store).len(),
        2,
        "only the entries that keep failing are left"
    );
    resumed
}

/// A flush that goes on where the last ran out of time has not looked at
/// the numbers below where it started: whatever it delivers, the mark
/// stays, or it would pass entries still waiting there and no flush would
/// look at them again.
#[test]
fn a_flush_that_goes_on_where_the_last_stopped_leaves_the_low_water_mark_alone() {
    let service = short_flushes();
    flush_resumed_past_entries_that_keep_failing(&service);
    service.clock.advance_seconds(60);
    service.delivery.forget();
    let report = service.flush_outbox().unwrap();
    assert_eq!((report.pending, report.complete), (2, true), "{report:?}");
    assert_eq!(
        service.delivery.attempts().len(),
        2,
        "the entries that keep failing are tried again"
    );
}

/// A flush that goes on where the last ran out of time has not looked at
/// the numbers below where it started: its count of what is pending (an
/// upper bound, as it is not complete) still takes them in.
#[test]
fn a_resumed_flush_counts_the_entries_below_where_it_started_as_pending() {
    let service = short_flushes();
    let resumed = flush_resumed_past_entries_that_keep_failing(&service);
    assert!(!resumed.complete, "{resumed:?}");
    assert!(
        resumed.pending >= 2,
        "the two entries that keep failing are still waiting: {resumed:?}"
    );
}

/// Requests' sweeps between two flushes may move the mark past where the
/// first flush ran out of time: the next flush starts at the mark, and
/// says it looked at the whole backlog.
#[test]
fn a_flush_ignores_where_the_last_stopped_once_sweeps_moved_the_mark_past_it() {
    let service = short_flushes();
    service.delivery.set(Peers::Down);
    for name in ["alice", "bob", "carol"] {
        register(&service, name, PASSWORD);
    }
    service.delivery.set(Peers::Up);
    service.clock.advance_seconds(60);
    deliveries_take_a_second(&service);
    let first = service.flush_outbox().unwrap();
    assert!(!first.complete, "{first:?}");
    let stopped_at = flush_cursor(&service).expect("where the first flush stopped");

    service.clock.advance_seconds(60);
    sweep(&service);
    assert!(outbox_keys(&service.store).is_empty(), "swept");
    assert!(
        low_water_mark(&service) > stopped_at,
        "the mark moved past it"
    );

    let report = service.flush_outbox().unwrap();
    assert_eq!((report.pending, report.complete), (0, true), "{report:?}");
    assert_eq!(flush_cursor(&service), None, "nothing left to go on with");
}

/// Two deliveries of one entry at once can lose it: the receiver may answer
/// one `duplicate` and then undo the other's count when its store fails.
/// So while its own request may still be delivering an entry, nothing else
/// does: not a flush, not another request's sweep.
#[test]
fn an_entry_its_own_request_is_still_delivering_is_left_to_it() {
    let service = service();
    let (registered, after) = service.service.register(registration("alice", PASSWORD));
    registered.expect("registered");
    assert_eq!(
        outbox_keys(&service.store).len(),
        2,
        "written, not yet tried"
    );

    let other = service.other_instance(0);
    let report = other.flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (0, 2), "{report:?}");
    register(&other, "bob", PASSWORD);
    assert_eq!(service.delivery.delivered_count("register"), 1, "bob's own");
    assert_eq!(outbox_keys(&service.store).len(), 2, "alice's entries wait");

    service.service.settle(after);
    assert!(outbox_keys(&service.store).is_empty());
    assert_eq!(service.delivery.delivered_count("register"), 2);

    // Once ripe, an entry whose request died before trying it is anyone's.
    let (registered, _died) = service.service.register(registration("carol", PASSWORD));
    registered.expect("registered");
    service.clock.advance_seconds(5);
    let report = service.flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (2, 0), "{report:?}");
}

/// An entry staged late in a second is left to its request for the whole
/// settle time, to the millisecond. Before, its stored age was rounded
/// down to the second, so a flush 4.2 s after it took it from its request.
#[test]
fn an_entry_staged_late_in_a_second_is_left_to_its_request_for_the_whole_settle_time() {
    let service = service();
    service.move_to(900);
    let (registered, _still_delivering) = service.service.register(registration("alice", PASSWORD));
    registered.expect("registered");

    let report = service.other_instance(4_200).flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (0, 2), "{report:?}");
    let report = service.other_instance(4_999).flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (0, 2), "{report:?}");
    let report = service.other_instance(5_000).flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (2, 0), "{report:?}");
}

/// Entries written before times were stored to the millisecond hold whole
/// seconds: they are read, and ripen, as before.
#[test]
fn entries_stored_to_the_second_are_still_read() {
    let service = service();
    let (registered, _died) = service.service.register(registration("alice", PASSWORD));
    registered.expect("registered");
    for key in outbox_keys(&service.store) {
        let bytes = service.store.get(&key).unwrap().unwrap();
        let mut entry: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(entry["created_at"], "2027-01-15T08:00:00.000Z");
        entry["created_at"] = "2027-01-15T08:00:00Z".into();
        service
            .store
            .set(&key, entry.to_string().as_bytes())
            .unwrap();
    }

    let report = service.other_instance(4_999).flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (0, 2), "{report:?}");
    let report = service.other_instance(5_000).flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (2, 0), "{report:?}");
}

/// An entry whose receiver answered with a failure has no attempt under
/// way anywhere: its request gives up on it, and the next round takes it
/// at once. One whose attempt got no answer (a timeout) may still be under
/// way at the receiver: it is left until ripe.
#[test]
fn only_an_answered_failure_is_given_up_at_once() {
    for (peers, taken_at_once) in [(Peers::Erroring, true), (Peers::Down, false)] {
        let service = service();
        service.delivery.set(peers);
        register(&service, "alice", PASSWORD);
        assert_eq!(outbox_keys(&service.store).len(), 2, "{peers:?}");

        service.delivery.set(Peers::Up);
        let report = service.other_instance(0).flush_outbox().unwrap();
        let expected = if taken_at_once { (2, 0) } else { (0, 2) };
        assert_eq!(
            (report.delivered, report.pending),
            expected,
            "{peers:?}: {report:?}"
        );
    }
}

/// A request that gives up on its entries only once they are ripe must not
/// write them back: another round may have taken and settled them.
#[test]
fn a_request_that_gives_up_late_brings_back_nothing_settled() {
    let service = service();
    let (registered, after) = service.service.register(registration("alice", PASSWORD));
    registered.expect("registered");
    // Halfway to ripe by this instance's clock; another's runs 2 s ahead
    // and finds the entries ripe.
    service.clock.advance_seconds(3);
    let report = service.other_instance(2000).flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (2, 0), "{report:?}");

    service.delivery.set(Peers::Erroring);
    service.service.settle(after);
    assert!(outbox_keys(&service.store).is_empty(), "written back");
}

#[test]
fn flush_delivers_every_ripe_entry_whatever_its_targets_back_off() {
    let service = service();
    service.delivery.set(Peers::Down);
    for i in 0..150 {
        register(&service, &format!("user{i}"), PASSWORD);
    }
    // Unanswered attempts (a timeout) are left to their request until ripe.
    service.clock.advance_seconds(5);
    let report = service.flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (0, 300));

    service.delivery.set(Peers::Up);
    let report = service.flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (300, 0));
    assert!(report.complete);
    assert!(outbox_keys(&service.store).is_empty());
    assert_eq!(service.flush_outbox().unwrap().delivered, 0);
}

#[test]
fn an_unreachable_target_is_tried_once_per_flush() {
    let service = service();
    service.delivery.set(Peers::Down);
    for i in 0..100 {
        register(&service, &format!("user{i}"), PASSWORD);
    }
    // Unanswered attempts (a timeout) are left to their request until ripe.
    service.clock.advance_seconds(5);
    service.delivery.set_target("notification", Peers::Up);
    service.delivery.forget();
    let report = service.flush_outbox().unwrap();
    assert_eq!(report.delivered, 100, "every notification");
    let analytics_tries = service
        .delivery
        .attempts()
        .iter()
        .filter(|(d, _)| d.target() == "analytics")
        .count();
    // One batch of 32 entries, alternating analytics and notification.
    assert_eq!(analytics_tries, 16, "one batch, not all 100");
}

#[test]
fn flush_stops_at_its_budget_and_says_what_it_did_not_look_at() {
    let settings = Settings {
        outbox: OutboxSettings {
            flush_budget_ms: 0,
            ..OutboxSettings::default()
        },
        ..Settings::default()
    };
    let service = service_with(InMemoryStore::sqlite_like(), settings);
    service.delivery.set(Peers::Down);
    register(&service, "alice", PASSWORD);
    service.delivery.set(Peers::Up);
    let report = service.flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (0, 2));
    assert!(!report.complete);
}

#[test]
fn requests_that_do_not_authenticate_do_no_background_work() {
    let service = service();
    service.delivery.set(Peers::Down);
    register(&service, "alice", PASSWORD);
    let token = service.login("alice", PASSWORD).unwrap().token;
    service.delivery.set(Peers::Up);
    service.clock.advance_seconds(60);
    service.delivery.forget();
    let writes = service.store.writes();
    for _ in 0..3 {
        let unknown = uuid::Uuid::new_v4().to_string();
        assert!(matches!(service.me(&unknown), Err(TokenError::Invalid)));
        assert!(matches!(
            service.me("not a token"),
            Err(TokenError::Invalid)
        ));
        assert!(service.me(&token).is_ok(), "nor does me");
        assert!(matches!(service.logout(&unknown), Err(TokenError::Invalid)));
    }
    assert_eq!(service.store.writes(), writes, "no writes");
    assert!(service.delivery.attempts().is_empty(), "no deliveries");
    // A failed login delivers its own event and nothing else.
    fail_login(&service, "alice");
    let attempts = service.delivery.attempts();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(outbox_keys(&service.store).len(), 4, "the older ones wait");
}

#[test]
fn gaps_left_by_lost_reservations_do_not_block_later_entries() {
    let service = service();
    // Reservations whose entries are never written: registrations whose
    // write failed.
    for name in ["lost1", "lost2"] {
        service.store.fail_when(once(|call| call.op == Op::SetMany));
        assert!(matches!(
            service.register(registration(name, PASSWORD)),
            Err(RegisterError::Unexpected(_))
        ));
    }
    service.delivery.set(Peers::Down);
    register(&service, "alice", PASSWORD);
    let alices = pending_ids(&service);
    assert_eq!(alices.len(), 2);

    service.delivery.set(Peers::Up);
    service.clock.advance_seconds(10);
    sweep(&service);
    assert_delivered_and_gone(&service, &alices);
}

#[test]
fn the_low_water_mark_catches_up_once_gaps_are_old() {
    let service = service();
    for name in ["alice", "bob", "carol"] {
        register(&service, name, PASSWORD);
        service.store.fail_when(once(|call| call.op == Op::SetMany));
        assert!(matches!(
            service.register(registration(&format!("{name}2"), PASSWORD)),
            Err(RegisterError::Unexpected(_))
        ));
    }
    let seq = service.store.counter("outbox:seq").unwrap() as u64;
    assert_eq!(seq, 12);
    // Held at alice2's lost reservation, right after alice's two entries.
    assert_eq!(low_water_mark(&service), 3);
    // Past the grace period twice over: every number reserved so far is
    // known to be settled or abandoned.
    for _ in 0..2 {
        service.clock.advance_seconds(31);
        sweep(&service);
    }
    // Past everything, the two sweepers' four entries included.
    assert_eq!(low_water_mark(&service), 17);
}

/// Every entry numbered below the low-water mark is settled.
fn low_water_mark(service: &Harness) -> u64 {
    let bytes = service.store.get("outbox:low").unwrap().unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["next"]
        .as_u64()
        .unwrap()
}

/// After a first round (which sets the mark's checkpoint) and a quiet
/// minute, registers alice while the peers are down, so that her entries
/// stay pending; `meanwhile` runs after her request reserved their numbers
/// and before it writes them. Her entries' ids.
fn register_alice_while<'a>(service: &'a Harness, meanwhile: impl FnOnce() + 'a) -> Vec<String> {
    register(service, "warmup", PASSWORD);
    service.clock.advance_seconds(60);
    service.delivery.set(Peers::Down);
    let store = Interleaved::over(&service.store);
    store.at(
        Moment::After,
        |call| call.op == Op::Increment && call.keys == "outbox:seq",
        meanwhile,
    );
    let alice = service.instance_over(&store, service.clock.clone());
    let (registered, after) = alice.register(registration("alice", PASSWORD));
    registered.expect("registered");
    alice.settle(after);
    assert!(
        store.all_ran(),
        "it ran while her entries were on their way"
    );
    let ids = pending_ids(service);
    assert_eq!(ids.len(), 2);
    ids
}

/// The peers back, a flush delivers `ids` and leaves nothing.
fn flush_delivers(service: &Harness, ids: &[String]) {
    // Unanswered attempts (a timeout) are left to their request until ripe.
    service.clock.advance_seconds(5);
    service.delivery.set(Peers::Up);
    let report = service.flush_outbox().unwrap();
    assert_eq!((report.delivered, report.pending), (2, 0), "{report:?}");
    assert_delivered_and_gone(service, ids);
}

/// A request reserves its numbers and writes their entries in two store
/// calls; a flush in between finds the numbers missing. The mark's
/// checkpoint is old, but the numbers are newer than it: their request may
/// still be writing them, so the mark waits.
#[test]
fn the_low_water_mark_waits_for_entries_whose_request_is_still_writing_them() {
    let service = service();
    let alice = register_alice_while(&service, || {
        service.flush_outbox().unwrap();
    });
    flush_delivers(&service, &alice);
}

/// The flush that finds the numbers missing takes a new checkpoint, which
/// covers them: they count as abandoned only once that checkpoint is as old
/// as the grace period, not at the next flush a second later.
#[test]
fn numbers_still_being_written_are_not_passed_until_the_checkpoint_over_them_has_aged() {
    let service = service();
    let alice = register_alice_while(&service, || {
        service.flush_outbox().unwrap();
        service.clock.advance_seconds(1);
        service.flush_outbox().unwrap();
    });
    flush_delivers(&service, &alice);
}

#[test]
fn writes_per_endpoint() {
    let service = service();
    // The first outbox round ever sets the checkpoint; count from after it.
    register(&service, "warmup", PASSWORD);
    // Each operation starts from an empty outbox: sweeping someone else's
    // entry costs one delete more, whoever sweeps it.
    let count = |operation: &dyn Fn()| {
        service.flush_outbox().unwrap();
        let before = service.store.writes();
        operation();
        service.store.writes() - before
    };
    // Reserve, claim, user with entries, delete the delivered entries.
    assert_eq!(
        count(&|| drop(register(&service, "alice", PASSWORD))),
        4,
        "register"
    );
    // Claim, register the bucket's keys for expiry (first attempt in the
    // bucket), reserve, mark with entry, delete the delivered entry.
    assert_eq!(
        count(&|| fail_login(&service, "alice")),
        5,
        "first failed login"
    );
    assert_eq!(count(&|| fail_login(&service, "alice")), 4, "failed login");
    assert_eq!(
        count(&|| fail_login(&service, "nobody")),
        5,
        "unknown name, first attempt"
    );
    assert_eq!(count(&|| fail_login(&service, "nobody")), 4, "unknown name");
    // Claim, register expiring keys, reserve, token with entries and
    // reset, delete.
    assert_eq!(
        count(&|| {
            service.login("alice", PASSWORD).unwrap();
        }),
        5,
        "login"
    );
    let token = service.login("alice", PASSWORD).unwrap().token;
    assert_eq!(
        count(&|| {
            service.me(&token).unwrap();
        }),
        0,
        "me"
    );
    // Reserve, revoked token with entry, delete.
    assert_eq!(count(&|| service.logout(&token).unwrap()), 3, "logout");
    for _ in 0..5 {
        fail_login(&service, "alice");
    }
    assert_eq!(
        count(&|| {
            let outcome = service.login("alice", PASSWORD);
            assert!(
                matches!(
                    outcome,
                    Err(LoginError::TooManyAttempts {
                        retry_after_seconds: 900
                    })
                ),
                "{outcome:?}"
            );
        }),
        0,
        "locked"
    );
}

#[test]
fn deliveries_carry_what_the_receivers_need() {
    let service = service();
    let profile = register(&service, "alice", PASSWORD);
    let deliveries = service.delivery.delivered();
    assert_eq!(
        deliveries.len(),
        2,
        "the event and the welcome: {deliveries:?}"
    );
    for delivery in deliveries {
        match delivery {
            SideEffect::Event {
                event_id,
                user_id,
                action,
                timestamp,
                ..
            } => {
                assert!(uuid::Uuid::parse_str(&event_id).is_ok());
                assert_eq!(user_id, profile.user_id);
                assert_eq!(action, "register");
                assert_eq!(timestamp, profile.created_at);
            }
            SideEffect::Notification {
                idempotency_key,
                user_id,
                message,
                purpose,
                ..
            } => {
                assert!(uuid::Uuid::parse_str(&idempotency_key).is_ok());
                assert_eq!(user_id, profile.user_id);
                assert_eq!(message, "Welcome, alice! Your account is ready.");
                assert_eq!(purpose.as_deref(), Some("welcome"));
            }
        }
    }
}

/// A listing's limit, as a client sends it.
fn limit(limit: usize) -> PageLimit {
    PageLimit::parse(limit.to_string()).expect("1 to 100")
}
