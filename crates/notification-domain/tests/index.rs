//! Each user's listing: newest first, bounded, independent of other users.

mod support;

use domain_core::kv::{InMemoryStore, Op};
use domain_core::{Clock, PageLimit, UserId};
use notification_domain::{
    ChannelKind, Channels, Deliver, Delivery, INDEX_SLOTS, Notification, NotificationId,
    NotificationService, Unavailable,
};
use support::*;

fn user(text: &str) -> UserId {
    UserId::parse(text).unwrap()
}

fn notify_n(service: &TestService, who: &str, n: usize) -> Vec<NotificationId> {
    (0..n)
        .map(|i| {
            receipt(
                &service
                    .notify(request(who, &format!("n{i}")), None)
                    .unwrap(),
            )
            .notification_id
        })
        .collect()
}

fn ids(records: &[notification_domain::NotificationRecord]) -> Vec<NotificationId> {
    records
        .iter()
        .map(|r| r.notification.notification_id)
        .collect()
}

#[test]
fn listings_are_newest_first_and_honour_the_limit() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let mut sent = notify_n(&service, "alice", 25);
    sent.reverse();

    let default = service
        .recent(&user("alice"), PageLimit::default())
        .unwrap();
    assert_eq!(ids(&default), sent[..20]);
    let five = service
        .recent(&user("alice"), PageLimit::parse("5").unwrap())
        .unwrap();
    assert_eq!(ids(&five), sent[..5]);
    let all = service
        .recent(&user("alice"), PageLimit::parse("100").unwrap())
        .unwrap();
    assert_eq!(ids(&all), sent);
}

#[test]
fn a_user_without_notifications_has_an_empty_listing() {
    let fixture = Fixture::new();
    assert_eq!(
        fixture
            .service()
            .recent(&user("nobody"), PageLimit::default()),
        Ok(vec![])
    );
}

#[test]
fn users_see_only_their_own() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let alice = notify_n(&service, "alice", 3);
    notify_n(&service, "bob", 4);
    let mut listed = ids(&service
        .recent(&user("alice"), PageLimit::default())
        .unwrap());
    listed.reverse();
    assert_eq!(listed, alice);
}

#[test]
fn the_index_keeps_only_the_newest_slots_but_records_stay_readable() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let total = INDEX_SLOTS as usize + 30;
    let mut sent = notify_n(&service, "busy", total);
    let oldest = sent[0];
    sent.reverse();
    let listed = service
        .recent(&user("busy"), PageLimit::parse("100").unwrap())
        .unwrap();
    assert_eq!(ids(&listed), sent[..INDEX_SLOTS as usize]);
    assert!(service.get(&oldest).unwrap().is_some());

    let index_keys = fixture
        .store
        .keys()
        .into_iter()
        .filter(|k| k.contains(":slot:"))
        .count();
    assert_eq!(index_keys, INDEX_SLOTS as usize, "the ring does not grow");
}

/// A notify that counted but never wrote its slot leaves there the entry of
/// the notification 100 before it: a listing skips it rather than show
/// that old one as the newest.
#[test]
fn a_slot_still_holding_an_older_number_is_not_listed() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let mut sent = notify_n(&service, "busy", INDEX_SLOTS as usize + 5);
    fixture.fail_once_within(Op::SetMany, ":slot:");
    assert!(service.notify(request("busy", "lost"), None).is_err());

    sent.reverse();
    let listed = service
        .recent(&user("busy"), PageLimit::parse("100").unwrap())
        .unwrap();
    assert_eq!(ids(&listed), sent[..INDEX_SLOTS as usize - 1]);
}

/// A notify whose last write failed leaves its slot empty for good: a
/// listing skips it and fills the page from older ones, so that a short
/// page still means there is no more.
#[test]
fn a_lost_slot_is_skipped_and_the_page_filled_from_older_ones() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let mut sent = notify_n(&service, "alice", 5);
    fixture.fail_once_within(Op::SetMany, ":slot:");
    assert!(service.notify(request("alice", "lost"), None).is_err());
    sent.reverse();

    for limit in [1, 3, 5, 20] {
        let listed = service
            .recent(&user("alice"), PageLimit::parse(limit.to_string()).unwrap())
            .unwrap();
        assert_eq!(ids(&listed), sent[..limit.min(5)], "limit {limit}");
    }
}

/// However many of the newest slots are empty, a listing reads the ring in
/// a few batches that each look back as far again, not slot by slot.
#[test]
fn a_listing_past_many_lost_slots_reads_the_ring_in_a_few_batches() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let sent = notify_n(&service, "alice", 3);
    for _ in 0..90 {
        fixture.fail_once_within(Op::SetMany, ":slot:");
        assert!(service.notify(request("alice", "lost"), None).is_err());
    }

    fixture.store.take_calls();
    let listed = service
        .recent(&user("alice"), PageLimit::parse("1").unwrap())
        .unwrap();
    assert_eq!(ids(&listed), [sent[2]]);
    let ops: Vec<Op> = fixture.store.take_calls().iter().map(|c| c.op).collect();
    // The counter; slots 1, 1, 2, 4, 8, 16, 32, then the 29 left of the
    // 93 numbered; the one record.
    let mut expected = vec![Op::Get];
    expected.extend([Op::GetMany; 8]);
    expected.push(Op::GetMany);
    assert_eq!(ops, expected);
}

#[test]
fn a_listing_costs_three_reads_whatever_other_users_stored() {
    let fixture = Fixture::new();
    assert_eq!(
        listing_cost(&fixture),
        (vec![Op::Get, Op::GetMany, Op::GetMany], 21),
        "the counter, 10 slots, 10 records"
    );
}

#[test]
fn on_a_redis_like_store_a_listing_reads_key_by_key() {
    // Spin's Redis store refuses batch reads: a batch would only cost a
    // failed round trip before the reads one by one.
    let fixture = Fixture::on(InMemoryStore::redis_like());
    assert_eq!(listing_cost(&fixture), (vec![Op::Get; 21], 21));
}

/// The store operations and keys read of one listing of 10 of a user with
/// 12 notifications, which must not depend on what other users stored.
fn listing_cost(fixture: &Fixture) -> (Vec<Op>, usize) {
    let service = fixture.service();
    // The store operations of one listing of 10, and the keys they read.
    let cost = || {
        fixture.store.take_calls();
        let listed = service
            .recent(&user("me"), PageLimit::parse("10").unwrap())
            .unwrap();
        assert_eq!(listed.len(), 10);
        let calls = fixture.store.take_calls();
        let ops: Vec<Op> = calls.iter().map(|c| c.op).collect();
        (ops, calls.iter().map(|c| c.keys.len()).sum::<usize>())
    };
    for i in 0..12 {
        service
            .notify(request("me", &format!("m{i}")), None)
            .unwrap();
    }
    let before = cost();
    for i in 0..300 {
        service
            .notify(request(&format!("other{}", i % 7), "noise"), None)
            .unwrap();
    }
    assert_eq!(cost(), before);
    before
}

/// A webhook that, while it delivers, lets another request run: a
/// notification created and stored meanwhile.
struct WebhookWhile {
    during: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
    log: RecordingChannel,
}

impl Deliver for WebhookWhile {
    fn deliver(&self, _: &Notification) -> Delivery {
        if let Some(other_request) = self.during.lock().unwrap().take() {
            other_request();
        }
        Delivery::delivered(1)
    }
}

impl Channels for WebhookWhile {
    fn channel(&self, kind: ChannelKind) -> Result<&dyn Deliver, Unavailable> {
        match kind {
            ChannelKind::Webhook => Ok(self),
            ChannelKind::Log => Ok(&self.log),
            _ => Err(Unavailable::Unconfigured),
        }
    }
}

/// Notifies `who` by a webhook that runs `meanwhile` while it delivers.
fn notify_by_slow_webhook(
    fixture: &Fixture,
    who: &str,
    meanwhile: impl FnOnce() + Send + 'static,
) -> NotificationId {
    let channels = WebhookWhile {
        during: std::sync::Mutex::new(Some(Box::new(meanwhile))),
        log: RecordingChannel::default(),
    };
    let slow = NotificationService::new(
        std::sync::Arc::clone(&fixture.store),
        channels,
        fixture.clock.clone(),
        fixture.pause.clone(),
    );
    let mut webhook = request(who, "by a slow webhook");
    webhook.channel = ChannelKind::Webhook;
    receipt(&slow.notify(webhook, None).unwrap()).notification_id
}

/// A notify that saves after `INDEX_SLOTS` more of its user's have taken
/// their places finds its slot already holding the newest of them, and
/// leaves it: the listing keeps the newest, and the late one stays
/// readable by id.
#[test]
fn a_notify_saving_a_lap_late_leaves_its_slot_to_the_newer_one() {
    let fixture = Fixture::new();
    let (busy, newer) = (
        fixture.service(),
        std::sync::Arc::new(std::sync::Mutex::new(Vec::new())),
    );
    let newer_inside = std::sync::Arc::clone(&newer);
    let late = notify_by_slow_webhook(&fixture, "carol", move || {
        *newer_inside.lock().unwrap() = notify_n(&busy, "carol", INDEX_SLOTS as usize);
    });
    let mut newer = newer.lock().unwrap().clone();
    newer.reverse();

    let service = fixture.service();
    let listed = service
        .recent(&user("carol"), PageLimit::parse("100").unwrap())
        .unwrap();
    assert_eq!(ids(&listed), newer);
    assert!(service.get(&late).unwrap().is_some());
}

/// The guard's read failing does not fail a notify already delivered: its
/// slot is written as before.
#[test]
fn a_slot_that_cannot_be_read_is_written() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let mut sent = notify_n(&service, "dan", 2);
    fixture.fail_once_within(Op::Get, ":slot:");
    sent.extend(notify_n(&service, "dan", 1));
    sent.reverse();
    let listed = service.recent(&user("dan"), PageLimit::default()).unwrap();
    assert_eq!(ids(&listed), sent);
}

/// A notify still delivering has counted but not written its slot: a
/// listing meanwhile shows the older ones, not a page short by one.
#[test]
fn a_notify_still_delivering_does_not_shorten_the_page() {
    let fixture = Fixture::new();
    let older = notify_n(&fixture.service(), "bob", 1)[0];
    let (lister, seen) = (
        fixture.service(),
        std::sync::Arc::new(std::sync::Mutex::new(None)),
    );
    let seen_inside = std::sync::Arc::clone(&seen);
    notify_by_slow_webhook(&fixture, "bob", move || {
        let listed = lister
            .recent(&user("bob"), PageLimit::parse("1").unwrap())
            .unwrap();
        *seen_inside.lock().unwrap() = Some(ids(&listed));
    });

    assert_eq!(seen.lock().unwrap().take(), Some(vec![older]));
}

/// Newest first means newest created: a slow delivery does not move its
/// notification above one created after it and delivered first.
#[test]
fn a_slow_delivery_keeps_its_place_in_the_listing() {
    let fixture = Fixture::new();
    let (newer_service, clock) = (fixture.service(), fixture.clock.clone());
    let newer = std::sync::Arc::new(std::sync::Mutex::new(None));
    let newer_id = std::sync::Arc::clone(&newer);
    let older = notify_by_slow_webhook(&fixture, "alice", move || {
        clock.advance_seconds(10);
        let notified = newer_service
            .notify(request("alice", "newer, on log"), None)
            .unwrap();
        *newer_id.lock().unwrap() = Some(receipt(&notified).notification_id);
    });
    let newer = newer.lock().unwrap().expect("the other request ran");

    let listed = fixture
        .service()
        .recent(&user("alice"), PageLimit::default())
        .unwrap();
    assert_eq!(ids(&listed), [newer, older]);
}

/// A request kept waiting for its number (a busy store) is stamped when it
/// gets it, so that the listing, in the order of the numbers, is newest
/// first by `created_at` too.
#[test]
fn created_at_is_when_the_notification_got_its_place() {
    let fixture = Fixture::new();
    let clock = fixture.clock.clone();
    fixture.store.fail_when(move |call| {
        if call.op == Op::Increment && call.keys.iter().any(|key| key.ends_with(":seq")) {
            clock.advance_seconds(5);
        }
        false
    });
    let arrived = fixture.clock.now().unix_seconds();
    let sent = fixture
        .service()
        .notify(request("alice", "waited"), None)
        .unwrap();
    assert_eq!(receipt(&sent).created_at.unix_seconds(), arrived + 5);
    let listed = fixture
        .service()
        .recent(&user("alice"), PageLimit::default())
        .unwrap();
    assert_eq!(
        listed[0].notification.created_at.unix_seconds(),
        arrived + 5
    );
}
