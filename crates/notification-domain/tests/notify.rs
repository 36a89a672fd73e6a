//! Delivering and storing notifications.

mod support;

use domain_core::kv::Op;
use domain_core::{Clock, KeyValueStore, Metadata};
use notification_domain::{
    ChannelKind, DeliveryStatus, IdempotencyKey, NotificationId, Notified, NotifyError, Recipient,
    Subject,
};
use serde_json::json;
use support::*;

#[test]
fn a_notification_is_delivered_once_and_stored_with_its_outcome() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let mut request = request("alice", "hello");
    request.subject = Some(Subject::parse("Hi".into()).unwrap());
    request.metadata =
        Some(Metadata::parse(json!({"k": "v"}).as_object().unwrap().clone()).unwrap());

    let Notified::Created(receipt) = service.notify(request, None).unwrap() else {
        panic!("a new notification is created");
    };
    assert_eq!(receipt.status, DeliveryStatus::Delivered);
    assert_eq!(receipt.channel, ChannelKind::Log);
    assert_eq!(receipt.attempts, 1);
    assert_eq!(receipt.created_at, fixture.clock.now());

    let delivered = fixture.channels.log.delivered.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].notification_id, receipt.notification_id);
    assert_eq!(delivered[0].message.as_str(), "hello");

    let stored = service.get(&receipt.notification_id).unwrap().unwrap();
    assert_eq!(stored.receipt(), receipt);
    assert_eq!(stored.notification, delivered[0]);
    let json = serde_json::to_value(&stored).unwrap();
    assert_eq!(json["user_id"], "alice");
    assert_eq!(json["subject"], "Hi");
    assert_eq!(json["metadata"], json!({"k": "v"}));
    assert!(json.get("error").is_none());
}

#[test]
fn a_failed_delivery_is_stored_as_failed_with_its_reason() {
    let mut fixture = Fixture::new();
    fixture.channels.webhook = Some(RecordingChannel {
        failure: Some("the webhook answered 500".into()),
        ..Default::default()
    });
    let service = fixture.service();
    let mut request = request("bob", "hook");
    request.channel = ChannelKind::Webhook;
    let receipt = receipt(&service.notify(request, None).unwrap()).clone();
    assert_eq!(receipt.status, DeliveryStatus::Failed);
    assert_eq!(receipt.error.as_deref(), Some("the webhook answered 500"));
    let stored = service.get(&receipt.notification_id).unwrap().unwrap();
    assert_eq!(stored.status, DeliveryStatus::Failed);
    assert_eq!(
        serde_json::to_value(&receipt).unwrap()["error"],
        "the webhook answered 500"
    );
}

/// The receipt a provider gives for an accepted message is what ties the
/// notification to the provider's own records: it is stored and read back.
#[test]
fn a_receivers_receipt_is_stored_with_the_notification() {
    let mut fixture = Fixture::new();
    fixture.channels.webhook = Some(RecordingChannel {
        receipt: Some("msg-7".into()),
        ..Default::default()
    });
    let service = fixture.service();
    let mut request = request("carol", "receipted");
    request.channel = ChannelKind::Webhook;
    let receipt = receipt(&service.notify(request, None).unwrap()).clone();
    assert_eq!(receipt.status, DeliveryStatus::Delivered);
    let stored = service.get(&receipt.notification_id).unwrap().unwrap();
    assert_eq!(stored.provider_receipt.as_deref(), Some("msg-7"));
    assert_eq!(
        serde_json::to_value(&stored).unwrap()["provider_receipt"],
        "msg-7"
    );
}

#[test]
fn an_unconfigured_channel_is_unavailable_and_stores_nothing() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let mut request = request("carol", "hook");
    request.channel = ChannelKind::Webhook;
    assert_eq!(
        service.notify(request, None),
        Err(NotifyError::ChannelUnavailable(ChannelKind::Webhook))
    );
    assert!(fixture.store.is_empty(), "{:?}", fixture.store.keys());
    assert_eq!(fixture.channels.log.count(), 0);
}

#[test]
fn a_channel_that_cannot_be_asked_is_unreachable_and_stores_nothing() {
    let mut fixture = Fixture::new();
    fixture.channels.email_unreachable = true;
    let mut request = request("carol", "mail");
    request.channel = ChannelKind::Email;
    request.to =
        Recipient::for_channel(ChannelKind::Email, Some("carol@example.org".into())).unwrap();
    assert_eq!(
        fixture
            .service()
            .notify(request, Some(&IdempotencyKey::parse("k").unwrap())),
        Err(NotifyError::ChannelUnreachable(ChannelKind::Email))
    );
    assert!(fixture.store.is_empty(), "{:?}", fixture.store.keys());
}

#[test]
fn unknown_ids_are_not_found() {
    let fixture = Fixture::new();
    assert_eq!(fixture.service().get(&NotificationId::generate()), Ok(None));
}

#[test]
fn a_store_failure_is_an_error_not_a_panic() {
    let fixture = Fixture::new();
    fixture.store.set_failing(true);
    let error = fixture
        .service()
        .notify(request("dave", "m"), None)
        .unwrap_err();
    assert!(matches!(error, NotifyError::Storage(_)), "{error:?}");
}

#[test]
fn a_plain_notify_costs_two_writes_and_a_read_of_its_slot() {
    let fixture = Fixture::new();
    fixture
        .service()
        .notify(request("erin", "m"), None)
        .unwrap();
    let ops: Vec<Op> = fixture.store.take_calls().iter().map(|c| c.op).collect();
    assert_eq!(
        ops,
        [Op::Increment, Op::Get, Op::SetMany],
        "the sequence, the slot, then one batch"
    );
}

#[test]
fn records_stored_with_metadata_over_4_kib_stay_readable() {
    let fixture = Fixture::new();
    let service = fixture.service();
    let id = receipt(&service.notify(request("fay", "m"), None).unwrap()).notification_id;
    let key = format!("notification:{id}");
    let mut stored: serde_json::Value =
        serde_json::from_slice(&fixture.store.get(&key).unwrap().unwrap()).unwrap();
    let big = "x".repeat(Metadata::MAX_BYTES);
    stored["metadata"] = json!({ "big": big });
    fixture
        .store
        .set(&key, &serde_json::to_vec(&stored).unwrap())
        .unwrap();
    let record = service.get(&id).unwrap().expect("still readable");
    assert_eq!(record.notification.metadata.unwrap()["big"], big.as_str());
}
