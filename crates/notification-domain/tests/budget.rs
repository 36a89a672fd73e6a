//! Each recipient's hourly budget on email and SMS: past it nothing is
//! sent, and the notification is stored as failed for good.

mod support;

use domain_core::kv::Op;
use domain_core::{PageLimit, UserId};
use notification_domain::{
    BUDGET_SPENT, ChannelKind, DeliveryStatus, IdempotencyKey, NotificationService, Notified,
    NotifyError, RECIPIENT_HOURLY_BUDGET, Recipient,
};
use std::sync::Arc;
use std::time::Duration;
use support::*;

const BUDGET: usize = RECIPIENT_HOURLY_BUDGET as usize;

/// A fixture whose email and SMS channels deliver through recording
/// providers; its clock stands at the start of a UTC hour.
fn with_providers() -> (Fixture, RecordingProvider, RecordingProvider) {
    let mut fixture = Fixture::new();
    let (email, sms) = (RecordingProvider::default(), RecordingProvider::default());
    fixture.channels.email = provider_channel(&email);
    fixture.channels.sms = provider_channel(&sms);
    (fixture, email, sms)
}

fn to(channel: ChannelKind, address: &str) -> notification_domain::NotifyRequest {
    let mut request = request("ada", "You signed in");
    request.channel = channel;
    request.to = Recipient::for_channel(channel, Some(address.to_owned())).unwrap();
    request
}

fn email(address: &str) -> notification_domain::NotifyRequest {
    to(ChannelKind::Email, address)
}

fn status(service: &TestService, request: notification_domain::NotifyRequest) -> DeliveryStatus {
    receipt(&service.notify(request, None).unwrap()).status
}

fn spend_the_budget(service: &TestService, address: &str) {
    for n in 0..BUDGET {
        assert_eq!(
            status(service, email(address)),
            DeliveryStatus::Delivered,
            "notification {n} is within the budget"
        );
    }
}

#[test]
fn past_the_budget_nothing_is_sent_and_the_notification_is_stored_failed() {
    let (fixture, provider, _) = with_providers();
    let service = fixture.service();
    spend_the_budget(&service, "ada@example.com");
    assert_eq!(provider.count(), BUDGET);

    let Notified::Created(refused) = service.notify(email("ada@example.com"), None).unwrap() else {
        panic!("a new notification is created");
    };
    assert_eq!(refused.status, DeliveryStatus::Failed);
    assert_eq!(refused.error.as_deref(), Some(BUDGET_SPENT));
    assert_eq!(refused.attempts, 0, "no attempt was made");
    assert_eq!(provider.count(), BUDGET, "nothing reached the provider");
    assert_eq!(fixture.pause.count(), 0);

    let stored = service.get(&refused.notification_id).unwrap().unwrap();
    assert_eq!(stored.receipt(), refused);
    let listed = service
        .recent(&UserId::parse("ada").unwrap(), Default::default())
        .unwrap();
    assert_eq!(listed.len(), BUDGET + 1, "listed like any other");
    assert_eq!(
        listed[0].notification.notification_id,
        refused.notification_id
    );
}

#[test]
fn a_new_hour_brings_a_new_budget() {
    let (fixture, provider, _) = with_providers();
    let service = fixture.service();
    spend_the_budget(&service, "ada@example.com");
    fixture.clock.advance_seconds(3599);
    assert_eq!(
        status(&service, email("ada@example.com")),
        DeliveryStatus::Failed,
        "the last second of the hour"
    );
    fixture.clock.advance_seconds(1);
    spend_the_budget(&service, "ada@example.com");
    assert_eq!(
        status(&service, email("ada@example.com")),
        DeliveryStatus::Failed
    );
    assert_eq!(provider.count(), 2 * BUDGET);
}

#[test]
fn spellings_of_one_inbox_share_its_budget_and_each_channel_has_its_own() {
    let (fixture, email_provider, sms_provider) = with_providers();
    let service = fixture.service();
    for n in 0..BUDGET {
        let spelling = match n % 3 {
            0 => "ada@example.com".to_owned(),
            1 => "Ada@EXAMPLE.com".to_owned(),
            _ => format!("ada+{n}@example.com"),
        };
        assert_eq!(
            status(&service, email(&spelling)),
            DeliveryStatus::Delivered
        );
    }
    assert_eq!(
        status(&service, email("ADA+new@example.com")),
        DeliveryStatus::Failed
    );
    // Another address, and SMS to a number, have budgets of their own.
    assert_eq!(
        status(&service, email("bea@example.com")),
        DeliveryStatus::Delivered
    );
    for _ in 0..BUDGET {
        let sms = to(ChannelKind::Sms, "+15551234567");
        assert_eq!(status(&service, sms), DeliveryStatus::Delivered);
    }
    let sms = to(ChannelKind::Sms, "+15551234567");
    assert_eq!(status(&service, sms), DeliveryStatus::Failed);
    assert_eq!(email_provider.count(), BUDGET + 1);
    assert_eq!(sms_provider.count(), BUDGET);
}

#[test]
fn repeats_of_an_idempotency_key_are_not_charged() {
    let (mut fixture, mut provider, _) = with_providers();
    // A slow provider keeps racing repeats waiting for the first delivery.
    provider.delay = Duration::from_millis(30);
    fixture.channels.email = provider_channel(&provider);
    let key = |text: &str| IdempotencyKey::parse(text).unwrap();

    let service = fixture.service();
    service
        .notify(email("ada@example.com"), Some(&key("finished")))
        .unwrap();
    for _ in 0..2 * BUDGET {
        let repeat = service
            .notify(email("ada@example.com"), Some(&key("finished")))
            .unwrap();
        assert!(matches!(repeat, Notified::Repeated(_)), "{repeat:?}");
    }
    // Repeats that arrive while the first is still delivering.
    let outcomes = domain_core::race(2 * BUDGET, |_| {
        NotificationService::new(
            Arc::clone(&fixture.store),
            fixture.channels.clone(),
            fixture.clock.clone(),
            ThreadSleep,
        )
        .notify(email("ada@example.com"), Some(&key("racing")))
        .expect("every racer gets the result")
    });
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, Notified::Created(_)))
        .count();
    assert_eq!(created, 1);
    assert_eq!(provider.count(), 2, "two keys, two deliveries");

    // Two keys charged two: the rest of the budget is still there.
    for _ in 2..BUDGET {
        assert_eq!(
            status(&service, email("ada@example.com")),
            DeliveryStatus::Delivered
        );
    }
    assert_eq!(
        status(&service, email("ada@example.com")),
        DeliveryStatus::Failed
    );
    assert_eq!(provider.count(), BUDGET);
}

#[test]
fn racing_notifies_to_one_address_deliver_exactly_the_budget() {
    let (mut fixture, mut provider, _) = with_providers();
    provider.delay = Duration::from_millis(5);
    fixture.channels.email = provider_channel(&provider);
    let racers = 4 * BUDGET;
    let statuses = domain_core::race(racers, |_| {
        let service = fixture.service();
        status(&service, email("ada@example.com"))
    });
    let delivered = statuses
        .iter()
        .filter(|s| **s == DeliveryStatus::Delivered)
        .count();
    assert_eq!(delivered, BUDGET, "{statuses:?}");
    assert_eq!(provider.count(), BUDGET);
    let listed = fixture
        .service()
        .recent(
            &UserId::parse("ada").unwrap(),
            PageLimit::parse("100").unwrap(),
        )
        .unwrap();
    assert_eq!(listed.len(), racers, "every notification is stored");
}

/// One increment more on the channels that are charged, and no store call
/// more on the others.
#[test]
fn only_email_and_sms_pay_one_increment_keyed_without_the_address() {
    let (mut fixture, _, _) = with_providers();
    fixture.channels.webhook = Some(RecordingChannel::default());
    let service = fixture.service();
    let ops = |request| {
        service.notify(request, None).unwrap();
        fixture.store.take_calls()
    };

    let calls = ops(email("Ada.Lovelace@example.com"));
    let kinds: Vec<Op> = calls.iter().map(|c| c.op).collect();
    assert_eq!(kinds, [Op::Increment, Op::Increment, Op::Get, Op::SetMany]);
    let budget_key = &calls[0].keys[0];
    assert!(budget_key.starts_with("budget:email:"), "{budget_key}");
    assert!(
        !budget_key.to_lowercase().contains("lovelace"),
        "{budget_key}"
    );
    let sms = ops(to(ChannelKind::Sms, "+15551234567"));
    assert!(sms[0].keys[0].starts_with("budget:sms:"), "{sms:?}");
    assert!(!sms[0].keys[0].contains("5551234567"), "{sms:?}");

    let mut webhook = request("ada", "hook");
    webhook.channel = ChannelKind::Webhook;
    for request in [request("ada", "log"), webhook] {
        let kinds: Vec<Op> = ops(request).iter().map(|c| c.op).collect();
        assert_eq!(kinds, [Op::Increment, Op::Get, Op::SetMany]);
    }
    let budget_keys = fixture
        .store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("budget:"))
        .count();
    assert_eq!(budget_keys, 2, "one per address, channel and hour");
}

/// A charge the store refuses sends nothing and frees the key, so that
/// the sender's retry delivers.
#[test]
fn a_charge_that_fails_sends_nothing_and_a_retry_delivers() {
    let (fixture, provider, _) = with_providers();
    let service = fixture.service();
    let key = IdempotencyKey::parse("k").unwrap();
    fixture.fail_once_within(Op::Increment, "budget:");
    let error = service
        .notify(email("ada@example.com"), Some(&key))
        .unwrap_err();
    assert!(matches!(error, NotifyError::Storage(_)), "{error:?}");
    assert_eq!(provider.count(), 0);
    let retried = service
        .notify(email("ada@example.com"), Some(&key))
        .unwrap();
    assert!(matches!(retried, Notified::Created(_)), "{retried:?}");
    assert_eq!(receipt(&retried).status, DeliveryStatus::Delivered);
    assert_eq!(provider.count(), 1);
}
