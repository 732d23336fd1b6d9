//! The SNS operations over the topics store. Every change is written to
//! SQLite before the call returns; topics and subscriptions are also kept
//! in memory for lookups at publish time.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde_json::{Value, json};

use crate::db::Db;
use crate::error::SnsError;
use crate::filter::{FilterPolicy, Scope, attributes_document};
use crate::model::{
    Delivery, Kind, MailItem, MessageAttribute, PublishInput, Published, Subscription, Topic,
};
use crate::policy::{default_policy, effective_delivery_policy};
use crate::retry::RetryPolicy;
use crate::signing::Signer;
use crate::validate::{
    DELIVERED, KNOWN, MAX_TAGS, check_arn, check_endpoint, check_message_attributes,
    check_subscription_attribute, check_tags, check_topic_attribute, message_size,
    valid_topic_name,
};

type Result<T> = std::result::Result<T, SnsError>;

/// PublishBatch's answer: `(Id, result)` of the entries that were published
/// and of those that failed.
pub type BatchOutcome = (Vec<(String, Published)>, Vec<(String, SnsError)>);

/// AWS's cap on a message with its attributes.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
const PAGE: usize = 100;
const MAX_BATCH: usize = 10;

#[derive(Debug, Clone)]
pub struct Settings {
    pub region: String,
    pub account: String,
    /// `http://host:port` of this Baton: confirmation, unsubscribe and
    /// signing-certificate links point here.
    pub base_url: String,
    /// Subscriptions are confirmed at once (no confirmation message).
    pub auto_confirm: bool,
    /// The SQLite file; `None` keeps everything in memory.
    pub db_path: Option<PathBuf>,
    /// Send e-mail over SMTP (`smtp://`, `smtps://user:pass@host:port`)
    /// instead of into the mailbox.
    pub smtp_url: Option<String>,
    /// Sender address of e-mails.
    pub mail_from: String,
}

impl Settings {
    pub fn new(
        region: impl Into<String>,
        account: impl Into<String>,
        base_url: impl Into<String>,
    ) -> Settings {
        Settings {
            region: region.into(),
            account: account.into(),
            base_url: base_url.into(),
            auto_confirm: false,
            db_path: None,
            smtp_url: None,
            mail_from: "no-reply@sns.amazonaws.com".into(),
        }
    }
}

pub(crate) struct Core {
    pub db: Db,
    topics: BTreeMap<String, Topic>,
    subs: BTreeMap<String, Subscription>,
}

pub(crate) struct Inner {
    pub settings: Settings,
    core: Mutex<Core>,
    pub wake: tokio::sync::Notify,
    signer: Mutex<Option<Arc<Signer>>>,
    pub functions: OnceLock<functions::Registry>,
    fifo: Mutex<Fifo>,
    commits: Mutex<CommitQueue>,
    committed: std::sync::Condvar,
}

/// Group commit of published deliveries: concurrent publishers queue their
/// rows; one of them (the leader) writes everything queued in one fsynced
/// transaction and hands each publisher its result, so N concurrent
/// publishes cost about one fsync instead of N.
#[derive(Default)]
struct CommitQueue {
    next_ticket: u64,
    pending: Vec<(u64, Vec<Delivery>)>,
    results: std::collections::HashMap<u64, std::result::Result<(), SnsError>>,
    leader: bool,
}

/// FIFO topics' sequence numbers and five-minute deduplication window
/// (kept in memory: a restart forgets the window, not the messages).
#[derive(Default)]
struct Fifo {
    last_sequence: u128,
    seen: std::collections::HashMap<(String, String), (Published, i64)>,
}

/// AWS's deduplication interval.
const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;

/// The SNS service. Cheap to clone.
#[derive(Clone)]
pub struct Topics {
    pub(crate) inner: Arc<Inner>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// AWS's timestamp form: `2024-01-01T12:00:00.123Z`.
pub fn timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn token() -> String {
    format!(
        "{}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

impl Topics {
    /// Opens the store (creating it if needed) and loads topics and
    /// subscriptions. Deliveries start flowing after [`Topics::start`].
    pub fn open(settings: Settings) -> Result<Topics> {
        let db = Db::open(settings.db_path.as_deref())?;
        let topics = db
            .topics()?
            .into_iter()
            .map(|t| (t.arn.clone(), t))
            .collect();
        let subs = db
            .subscriptions()?
            .into_iter()
            .map(|s| (s.arn.clone(), s))
            .collect();
        Ok(Topics {
            inner: Arc::new(Inner {
                settings,
                core: Mutex::new(Core { db, topics, subs }),
                wake: tokio::sync::Notify::new(),
                signer: Mutex::new(None),
                functions: OnceLock::new(),
                fifo: Mutex::new(Fifo::default()),
                commits: Mutex::new(CommitQueue::default()),
                committed: std::sync::Condvar::new(),
            }),
        })
    }

    /// An in-memory service (tests, `--in-memory`).
    pub fn in_memory(region: &str, account: &str, base_url: &str) -> Result<Topics> {
        Topics::open(Settings::new(region, account, base_url))
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub(crate) fn core(&self) -> MutexGuard<'_, Core> {
        self.inner.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn topic_arn(&self, name: &str) -> String {
        let s = &self.inner.settings;
        format!("arn:aws:sns:{}:{}:{}", s.region, s.account, name)
    }

    // ---- topics ------------------------------------------------------------

    pub fn create_topic(
        &self,
        name: &str,
        attributes: BTreeMap<String, String>,
        tags: Vec<(String, String)>,
    ) -> Result<String> {
        let fifo = attributes.get("FifoTopic").map(String::as_str) == Some("true");
        if fifo {
            let base = name.strip_suffix(".fifo").unwrap_or("");
            if !valid_topic_name(base) || name.len() > 256 {
                return Err(SnsError::invalid(
                    "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.",
                ));
            }
        } else if !valid_topic_name(name) {
            return Err(SnsError::invalid("Topic Name"));
        }
        for (k, v) in &attributes {
            check_topic_attribute(k, v, true)?;
        }
        if attributes.contains_key("ContentBasedDeduplication") && !fifo {
            return Err(SnsError::invalid(
                "ContentBasedDeduplication: Content based deduplication can only be set for FIFO topics",
            ));
        }
        check_tags(&tags)?;
        let arn = self.topic_arn(name);
        let mut core = self.core();
        if let Some(existing) = core.topics.get(&arn) {
            let differs = attributes.iter().any(|(k, v)| {
                existing
                    .attributes
                    .get(k)
                    .map(String::as_str)
                    .unwrap_or(if k == "FifoTopic" { "false" } else { "" })
                    != v
            });
            if differs {
                return Err(SnsError::invalid(
                    "Attributes Reason: Topic already exists with different attributes",
                ));
            }
            if !tags.is_empty() && !same_tags(&existing.tags, &tags) {
                return Err(SnsError::invalid(
                    "Tags Reason: Topic already exists with different tags",
                ));
            }
            return Ok(arn);
        }
        let topic = Topic {
            arn: arn.clone(),
            name: name.to_string(),
            attributes: attributes
                .into_iter()
                .filter(|(k, v)| !(k == "FifoTopic" && v == "false"))
                .collect(),
            tags: dedup_tags(tags),
            subscriptions_deleted: 0,
        };
        core.db.put_topic(&topic)?;
        core.topics.insert(arn.clone(), topic);
        Ok(arn)
    }

    /// Deletes a topic and its subscriptions. A topic that does not exist
    /// is not an error (as on AWS).
    pub fn delete_topic(&self, arn: &str) -> Result<()> {
        check_arn(arn, "TopicArn", 6)?;
        let mut core = self.core();
        if !core.topics.contains_key(arn) {
            return Ok(());
        }
        core.db.delete_topic(arn)?;
        core.topics.remove(arn);
        core.subs.retain(|_, s| s.topic_arn != arn);
        Ok(())
    }

    pub fn list_topics(&self, next_token: Option<&str>) -> Result<(Vec<String>, Option<String>)> {
        let core = self.core();
        let arns: Vec<String> = core.topics.keys().cloned().collect();
        page(arns, next_token)
    }

    fn with_topic<T>(&self, arn: &str, f: impl FnOnce(&Topic, &Core) -> T) -> Result<T> {
        check_arn(arn, "TopicArn", 6)?;
        let core = self.core();
        let topic = core.topics.get(arn).ok_or_else(SnsError::topic_not_found)?;
        Ok(f(topic, &core))
    }

    pub fn topic(&self, arn: &str) -> Result<Topic> {
        self.with_topic(arn, |t, _| t.clone())
    }

    /// GetTopicAttributes: the set attributes plus the computed ones.
    pub fn topic_attributes(&self, arn: &str) -> Result<BTreeMap<String, String>> {
        let account = self.inner.settings.account.clone();
        self.with_topic(arn, |t, core| {
            let subs = core.subs.values().filter(|s| s.topic_arn == t.arn);
            let (confirmed, pending) =
                subs.fold(
                    (0, 0),
                    |(c, p), s| if s.confirmed { (c + 1, p) } else { (c, p + 1) },
                );
            let mut a = BTreeMap::new();
            a.insert("Policy".to_string(), default_policy(&t.arn, &account));
            a.insert("Owner".into(), account.clone());
            a.insert("SubscriptionsPending".into(), pending.to_string());
            a.insert("SubscriptionsConfirmed".into(), confirmed.to_string());
            a.insert(
                "SubscriptionsDeleted".into(),
                t.subscriptions_deleted.to_string(),
            );
            a.insert("TopicArn".into(), t.arn.clone());
            a.insert("DisplayName".into(), String::new());
            a.insert(
                "EffectiveDeliveryPolicy".into(),
                effective_delivery_policy(t.attributes.get("DeliveryPolicy")),
            );
            if t.is_fifo() {
                a.insert("ContentBasedDeduplication".into(), "false".into());
            }
            for (k, v) in &t.attributes {
                a.insert(k.clone(), v.clone());
            }
            a
        })
    }

    pub fn set_topic_attribute(&self, arn: &str, name: &str, value: Option<String>) -> Result<()> {
        check_arn(arn, "TopicArn", 6)?;
        let value = value.unwrap_or_default();
        check_topic_attribute(name, &value, false)?;
        let mut core = self.core();
        let topic = core
            .topics
            .get_mut(arn)
            .ok_or_else(SnsError::topic_not_found)?;
        if name == "ContentBasedDeduplication" && !topic.is_fifo() {
            return Err(SnsError::invalid(
                "ContentBasedDeduplication: Content based deduplication can only be set for FIFO topics",
            ));
        }
        let mut updated = topic.clone();
        if value.is_empty() && name != "DisplayName" {
            updated.attributes.remove(name);
        } else {
            updated.attributes.insert(name.to_string(), value);
        }
        core.db.put_topic(&updated)?;
        core.topics.insert(arn.to_string(), updated);
        Ok(())
    }

    /// AddPermission: a statement `Label` allowing `accounts` the
    /// `actions` on the topic, added to its access policy.
    pub fn add_permission(
        &self,
        arn: &str,
        label: &str,
        accounts: &[String],
        actions: &[String],
    ) -> Result<()> {
        check_arn(arn, "TopicArn", 6)?;
        if accounts.is_empty() {
            return Err(SnsError::invalid("AWSAccountId"));
        }
        if actions.is_empty() {
            return Err(SnsError::invalid("ActionName"));
        }
        let account = self.inner.settings.account.clone();
        let mut core = self.core();
        let mut topic = core
            .topics
            .get(arn)
            .cloned()
            .ok_or_else(SnsError::topic_not_found)?;
        let text = topic
            .attributes
            .get("Policy")
            .cloned()
            .unwrap_or_else(|| default_policy(arn, &account));
        let mut policy: Value =
            serde_json::from_str(&text).map_err(|_| SnsError::invalid("Policy"))?;
        let Some(statements) = policy.get_mut("Statement").and_then(Value::as_array_mut) else {
            return Err(SnsError::invalid("Policy"));
        };
        if statements
            .iter()
            .any(|s| s.get("Sid").and_then(Value::as_str) == Some(label))
        {
            return Err(SnsError::invalid("Statement already exists"));
        }
        let one_or_many = |v: Vec<String>| if v.len() == 1 { json!(v[0]) } else { json!(v) };
        statements.push(json!({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": one_or_many(accounts.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect())},
            "Action": one_or_many(actions.iter().map(|a| format!("SNS:{a}")).collect()),
            "Resource": arn,
        }));
        topic.attributes.insert("Policy".into(), policy.to_string());
        core.db.put_topic(&topic)?;
        core.topics.insert(arn.to_string(), topic);
        Ok(())
    }

    /// RemovePermission: drops the statement `Label` from the topic's policy.
    pub fn remove_permission(&self, arn: &str, label: &str) -> Result<()> {
        check_arn(arn, "TopicArn", 6)?;
        let account = self.inner.settings.account.clone();
        let mut core = self.core();
        let mut topic = core
            .topics
            .get(arn)
            .cloned()
            .ok_or_else(SnsError::topic_not_found)?;
        let text = topic
            .attributes
            .get("Policy")
            .cloned()
            .unwrap_or_else(|| default_policy(arn, &account));
        let mut policy: Value =
            serde_json::from_str(&text).map_err(|_| SnsError::invalid("Policy"))?;
        if let Some(statements) = policy.get_mut("Statement").and_then(Value::as_array_mut) {
            statements.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(label));
        }
        topic.attributes.insert("Policy".into(), policy.to_string());
        core.db.put_topic(&topic)?;
        core.topics.insert(arn.to_string(), topic);
        Ok(())
    }

    // ---- tags --------------------------------------------------------------

    fn tagged_topic(&self, arn: &str) -> Result<Topic> {
        let core = self.core();
        core.topics
            .get(arn)
            .cloned()
            .ok_or_else(SnsError::resource_not_found)
    }

    pub fn tag_resource(&self, arn: &str, tags: Vec<(String, String)>) -> Result<()> {
        check_tags(&tags)?;
        let mut topic = self.tagged_topic(arn)?;
        for (k, v) in tags {
            match topic.tags.iter_mut().find(|(key, _)| *key == k) {
                Some(t) => t.1 = v,
                None => topic.tags.push((k, v)),
            }
        }
        if topic.tags.len() > MAX_TAGS {
            return Err(SnsError::new(
                "TagLimitExceeded",
                "Could not complete request: tag quota of per resource exceeded",
            ));
        }
        let mut core = self.core();
        core.db.put_topic(&topic)?;
        core.topics.insert(topic.arn.clone(), topic);
        Ok(())
    }

    pub fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<()> {
        let mut topic = self.tagged_topic(arn)?;
        topic.tags.retain(|(k, _)| !keys.contains(k));
        let mut core = self.core();
        core.db.put_topic(&topic)?;
        core.topics.insert(topic.arn.clone(), topic);
        Ok(())
    }

    pub fn list_tags(&self, arn: &str) -> Result<Vec<(String, String)>> {
        Ok(self.tagged_topic(arn)?.tags)
    }

    // ---- subscriptions -----------------------------------------------------

    /// Subscribe. Returns the subscription ARN, or `pending confirmation`
    /// when the endpoint must confirm first and `return_arn` is false.
    pub fn subscribe(
        &self,
        topic_arn: &str,
        protocol: &str,
        endpoint: Option<&str>,
        attributes: BTreeMap<String, String>,
        return_arn: bool,
    ) -> Result<String> {
        check_arn(topic_arn, "TopicArn", 6)?;
        if !KNOWN.contains(&protocol) {
            return Err(SnsError::invalid(format!(
                "Amazon SNS does not support this protocol string: {protocol}"
            )));
        }
        if !DELIVERED.contains(&protocol) {
            return Err(SnsError::invalid(format!(
                "Baton does not deliver to the {protocol} protocol"
            )));
        }
        let endpoint = endpoint.unwrap_or("");
        check_endpoint(protocol, endpoint)?;
        for (k, v) in &attributes {
            check_subscription_attribute(protocol, k, v, &attributes)?;
        }
        let topic = self.topic(topic_arn)?;
        let now = now_ms();
        let mut core = self.core();
        let existing = core
            .subs
            .values()
            .find(|s| s.topic_arn == topic_arn && s.protocol == protocol && s.endpoint == endpoint)
            .cloned();
        if let Some(sub) = existing {
            if attributes
                .iter()
                .any(|(k, v)| sub.attributes.get(k) != Some(v))
                && !attributes.is_empty()
            {
                return Err(SnsError::invalid(
                    "Attributes Reason: Subscription already exists with different attributes",
                ));
            }
            if sub.confirmed || return_arn {
                return Ok(sub.arn);
            }
            let confirmation = self.confirmation(&topic, &sub);
            core.db.enqueue(&[confirmation], now)?;
            drop(core);
            self.inner.wake.notify_one();
            return Ok("pending confirmation".into());
        }
        let confirmed = protocol == "lambda" || self.inner.settings.auto_confirm;
        let sub = Subscription {
            arn: format!("{topic_arn}:{}", uuid::Uuid::new_v4()),
            topic_arn: topic_arn.to_string(),
            protocol: protocol.to_string(),
            endpoint: endpoint.to_string(),
            owner: self.inner.settings.account.clone(),
            confirmed,
            token: token(),
            authenticated: confirmed,
            authenticate_on_unsubscribe: false,
            attributes,
        };
        let deliveries = if confirmed {
            Vec::new()
        } else {
            vec![self.confirmation(&topic, &sub)]
        };
        core.db.put_subscription_with(&sub, &deliveries, now)?;
        core.subs.insert(sub.arn.clone(), sub.clone());
        drop(core);
        if !deliveries.is_empty() {
            self.inner.wake.notify_one();
        }
        Ok(if confirmed || return_arn {
            sub.arn
        } else {
            "pending confirmation".into()
        })
    }

    fn confirmation(&self, topic: &Topic, sub: &Subscription) -> Delivery {
        let mut d = self.delivery_for(topic, sub, Kind::SubscriptionConfirmation);
        d.message = crate::envelope::confirmation_message(&topic.arn);
        d.token = Some(sub.token.clone());
        d
    }

    fn delivery_for(&self, topic: &Topic, sub: &Subscription, kind: Kind) -> Delivery {
        let http = sub.protocol.starts_with("http");
        let policy = sub
            .attributes
            .get("DeliveryPolicy")
            .or_else(|| topic.attributes.get("DeliveryPolicy"))
            .and_then(|p| serde_json::from_str::<Value>(p).ok());
        let retry = match sub.protocol.as_str() {
            "lambda" => RetryPolicy::AWS_MANAGED,
            "email" | "email-json" => RetryPolicy::SMTP,
            _ => policy
                .as_ref()
                .and_then(RetryPolicy::from_delivery_policy)
                .unwrap_or(RetryPolicy::HTTP_DEFAULT),
        };
        let content_type = if http {
            policy.as_ref().and_then(|p| {
                p.pointer("/requestPolicy/headerContentType")
                    .or_else(|| p.pointer("/http/defaultRequestPolicy/headerContentType"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
        } else {
            None
        };
        Delivery {
            kind,
            message_id: uuid::Uuid::new_v4().to_string(),
            topic_arn: topic.arn.clone(),
            subscription_arn: sub.arn.clone(),
            protocol: sub.protocol.clone(),
            endpoint: sub.endpoint.clone(),
            subject: None,
            message: String::new(),
            timestamp: timestamp(),
            attributes: BTreeMap::new(),
            raw: sub.raw(),
            token: None,
            signature_version: topic
                .attributes
                .get("SignatureVersion")
                .cloned()
                .unwrap_or_else(|| "1".into()),
            display_name: topic.display_name().map(str::to_string),
            content_type,
            retry,
        }
    }

    /// ConfirmSubscription (API, or the GET link when `authenticated` is false).
    pub fn confirm_subscription(
        &self,
        topic_arn: &str,
        token: &str,
        authenticated: bool,
        authenticate_on_unsubscribe: bool,
    ) -> Result<String> {
        check_arn(topic_arn, "TopicArn", 6)?;
        let mut core = self.core();
        if !core.topics.contains_key(topic_arn) {
            return Err(SnsError::topic_not_found());
        }
        let Some(sub) = core
            .subs
            .values()
            .find(|s| s.topic_arn == topic_arn && s.token == token)
            .cloned()
        else {
            return Err(SnsError::invalid("Token"));
        };
        if sub.confirmed {
            return Ok(sub.arn);
        }
        let mut sub = sub;
        sub.confirmed = true;
        sub.authenticated = authenticated;
        sub.authenticate_on_unsubscribe = authenticated && authenticate_on_unsubscribe;
        core.db.put_subscription(&sub)?;
        core.subs.insert(sub.arn.clone(), sub.clone());
        Ok(sub.arn)
    }

    /// Unsubscribe. `authenticated` is false for the unsigned link in
    /// e-mails and envelopes, which subscriptions confirmed with
    /// `AuthenticateOnUnsubscribe` refuse.
    pub fn unsubscribe(&self, arn: &str, authenticated: bool) -> Result<()> {
        check_arn(arn, "SubscriptionArn", 7)?;
        let mut core = self.core();
        let Some(sub) = core.subs.get(arn).cloned() else {
            return Err(SnsError::subscription_not_found());
        };
        if sub.authenticate_on_unsubscribe && !authenticated {
            return Err(SnsError::new(
                "AuthorizationError",
                "Unsubscribe requires AWS authentication for this subscription (it was confirmed with AuthenticateOnUnsubscribe)",
            ));
        }
        let mut topic = core.topics.get(&sub.topic_arn).cloned();
        if let Some(t) = topic.as_mut() {
            t.subscriptions_deleted += 1;
        }
        let goodbye = match (&topic, sub.protocol.starts_with("http") && sub.confirmed) {
            (Some(t), true) => {
                let mut d = self.delivery_for(t, &sub, Kind::UnsubscribeConfirmation);
                d.message = crate::envelope::unsubscribe_message(&sub.arn);
                d.token = Some(sub.token.clone());
                Some(d)
            }
            _ => None,
        };
        core.db.delete_subscription(
            arn,
            topic.as_ref(),
            goodbye.as_ref().map(|d| (d, now_ms())),
        )?;
        core.subs.remove(arn);
        if let Some(t) = topic {
            core.topics.insert(t.arn.clone(), t);
        }
        drop(core);
        if goodbye.is_some() {
            self.inner.wake.notify_one();
        }
        Ok(())
    }

    pub fn list_subscriptions(
        &self,
        topic_arn: Option<&str>,
        next_token: Option<&str>,
    ) -> Result<(Vec<Subscription>, Option<String>)> {
        if let Some(t) = topic_arn {
            self.with_topic(t, |_, _| ())?;
        }
        let core = self.core();
        let subs: Vec<Subscription> = core
            .subs
            .values()
            .filter(|s| topic_arn.is_none_or(|t| s.topic_arn == t))
            .cloned()
            .collect();
        page(subs, next_token)
    }

    pub fn subscription(&self, arn: &str) -> Result<Subscription> {
        check_arn(arn, "SubscriptionArn", 7)?;
        self.core()
            .subs
            .get(arn)
            .cloned()
            .ok_or_else(SnsError::subscription_not_found)
    }

    pub fn subscription_attributes(&self, arn: &str) -> Result<BTreeMap<String, String>> {
        let s = self.subscription(arn)?;
        let topic_policy = self
            .core()
            .topics
            .get(&s.topic_arn)
            .and_then(|t| t.attributes.get("DeliveryPolicy").cloned());
        let mut a = BTreeMap::new();
        a.insert("Owner".to_string(), s.owner.clone());
        a.insert("RawMessageDelivery".into(), "false".into());
        a.insert("TopicArn".into(), s.topic_arn.clone());
        a.insert("Endpoint".into(), s.endpoint.clone());
        a.insert("Protocol".into(), s.protocol.clone());
        a.insert("PendingConfirmation".into(), (!s.confirmed).to_string());
        a.insert(
            "ConfirmationWasAuthenticated".into(),
            s.authenticated.to_string(),
        );
        a.insert("SubscriptionArn".into(), s.arn.clone());
        a.insert(
            "SubscriptionPrincipal".into(),
            format!("arn:aws:iam::{}:root", self.inner.settings.account),
        );
        if s.protocol.starts_with("http") {
            a.insert(
                "EffectiveDeliveryPolicy".into(),
                effective_delivery_policy(
                    s.attributes.get("DeliveryPolicy").or(topic_policy.as_ref()),
                ),
            );
        }
        if s.attributes.contains_key("FilterPolicy") {
            a.insert("FilterPolicyScope".into(), "MessageAttributes".into());
        }
        for (k, v) in &s.attributes {
            a.insert(k.clone(), v.clone());
        }
        Ok(a)
    }

    pub fn set_subscription_attribute(
        &self,
        arn: &str,
        name: &str,
        value: Option<String>,
    ) -> Result<()> {
        let mut sub = self.subscription(arn)?;
        let value = value.unwrap_or_default();
        let mut next = sub.attributes.clone();
        next.insert(name.to_string(), value.clone());
        check_subscription_attribute(&sub.protocol, name, &value, &next)?;
        if value.is_empty() && name != "RawMessageDelivery" {
            sub.attributes.remove(name);
        } else {
            sub.attributes.insert(name.to_string(), value);
        }
        let mut core = self.core();
        if !core.subs.contains_key(arn) {
            return Err(SnsError::subscription_not_found());
        }
        core.db.put_subscription(&sub)?;
        core.subs.insert(sub.arn.clone(), sub);
        Ok(())
    }

    // ---- publishing --------------------------------------------------------

    /// Publish: checks the message, then stores one delivery per matching
    /// confirmed subscription (fsynced) before answering.
    pub fn publish(&self, input: PublishInput) -> Result<Published> {
        let (topic, prepared) = self.prepare(&input)?;
        let (published, deliveries) = self.fan_out(&topic, &prepared);
        self.commit(deliveries)?;
        Ok(published)
    }

    /// Stores `deliveries` durably (group commit, see [`CommitQueue`]) and
    /// wakes the delivery workers.
    fn commit(&self, deliveries: Vec<Delivery>) -> Result<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        fn lock(m: &Mutex<CommitQueue>) -> MutexGuard<'_, CommitQueue> {
            m.lock().unwrap_or_else(|e| e.into_inner())
        }
        let mut q = lock(&self.inner.commits);
        let ticket = q.next_ticket;
        q.next_ticket += 1;
        q.pending.push((ticket, deliveries));
        loop {
            if let Some(result) = q.results.remove(&ticket) {
                if result.is_ok() {
                    self.inner.wake.notify_one();
                }
                return result;
            }
            if q.leader {
                q = self
                    .inner
                    .committed
                    .wait(q)
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            }
            q.leader = true;
            let batch = std::mem::take(&mut q.pending);
            drop(q);
            let tickets: Vec<u64> = batch.iter().map(|(t, _)| *t).collect();
            let rows: Vec<Delivery> = batch.into_iter().flat_map(|(_, d)| d).collect();
            let result = self.core().db.enqueue(&rows, now_ms());
            q = lock(&self.inner.commits);
            for t in tickets {
                q.results.insert(t, result.clone());
            }
            q.leader = false;
            self.inner.committed.notify_all();
        }
    }

    /// PublishBatch: all entries' deliveries are stored in one transaction.
    pub fn publish_batch(
        &self,
        topic_arn: &str,
        entries: Vec<(String, PublishInput)>,
    ) -> Result<BatchOutcome> {
        check_arn(topic_arn, "TopicArn", 6)?;
        let topic = self.topic(topic_arn)?;
        if entries.is_empty() {
            return Err(SnsError::new(
                "EmptyBatchRequest",
                "The batch request doesn't contain any entries.",
            ));
        }
        if entries.len() > MAX_BATCH {
            return Err(SnsError::new(
                "TooManyEntriesInBatchRequest",
                "The batch request contains more entries than permissible.",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (id, _) in &entries {
            if id.is_empty()
                || id.len() > 80
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(SnsError::new(
                    "InvalidBatchEntryId",
                    "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
                ));
            }
            if !seen.insert(id.clone()) {
                return Err(SnsError::new(
                    "BatchEntryIdsNotDistinct",
                    "Two or more batch entries in the request have the same Id.",
                ));
            }
        }
        let total: usize = entries.iter().map(|(_, e)| message_size(e)).sum();
        if total > MAX_MESSAGE_BYTES {
            return Err(SnsError::new(
                "BatchRequestTooLong",
                "The length of all the messages put together is more than the limit.",
            ));
        }
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        let mut deliveries = Vec::new();
        for (id, mut entry) in entries {
            entry.topic_arn = Some(topic_arn.to_string());
            match self.prepare(&entry) {
                Ok((_, prepared)) => {
                    let (published, mut d) = self.fan_out(&topic, &prepared);
                    deliveries.append(&mut d);
                    ok.push((id, published));
                }
                Err(e) => failed.push((id, e)),
            }
        }
        self.commit(deliveries)?;
        Ok((ok, failed))
    }

    fn prepare(&self, input: &PublishInput) -> Result<(Topic, Prepared)> {
        let arn = match (&input.topic_arn, &input.target_arn, &input.phone_number) {
            (Some(t), None, None) => {
                check_arn(t, "TopicArn", 6)?;
                t.clone()
            }
            (None, Some(t), None) => {
                check_arn(t, "TargetArn", 6)?;
                t.clone()
            }
            (None, None, Some(_)) => {
                return Err(SnsError::invalid(
                    "PhoneNumber Reason: Baton does not send SMS messages",
                ));
            }
            (None, None, None) => {
                return Err(SnsError::invalid(
                    "TopicArn or TargetArn Reason: no value for required parameter",
                ));
            }
            _ => {
                return Err(SnsError::invalid(
                    "TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified",
                ));
            }
        };
        let Some(message) = input.message.as_deref() else {
            return Err(SnsError::missing("message"));
        };
        if message.is_empty() {
            return Err(SnsError::invalid("Empty message"));
        }
        if let Some(subject) = &input.subject {
            let ok = !subject.is_empty()
                && subject.chars().count() <= 100
                && subject.chars().all(|c| !c.is_control())
                && subject.chars().next().is_some_and(|c| !c.is_whitespace());
            if !ok {
                return Err(SnsError::invalid("Subject"));
            }
        }
        check_message_attributes(&input.attributes)?;
        if message_size(input) > MAX_MESSAGE_BYTES {
            return Err(SnsError::invalid("Message too long"));
        }
        let per_protocol = match input.message_structure.as_deref() {
            None => None,
            Some("json") => {
                let Ok(Value::Object(map)) = serde_json::from_str::<Value>(message) else {
                    return Err(SnsError::invalid(
                        "Message Structure - JSON message body failed to parse",
                    ));
                };
                if !map.contains_key("default") {
                    return Err(SnsError::invalid(
                        "Message Structure - No default entry in JSON message body",
                    ));
                }
                let mut out = BTreeMap::new();
                for (k, v) in map {
                    let Value::String(s) = v else {
                        return Err(SnsError::invalid(
                            "Message Structure - JSON message body failed to parse",
                        ));
                    };
                    out.insert(k, s);
                }
                Some(out)
            }
            Some(_) => return Err(SnsError::invalid("MessageStructure")),
        };
        let topic = self.topic(&arn)?;
        if topic.is_fifo() && input.group_id.is_none() {
            return Err(SnsError::invalid(
                "The MessageGroupId parameter is required for FIFO topics",
            ));
        }
        if !topic.is_fifo() && input.deduplication_id.is_some() {
            return Err(SnsError::invalid(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
            ));
        }
        if !topic.is_fifo() && input.group_id.is_some() {
            return Err(SnsError::invalid(
                "MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this topic type",
            ));
        }
        let dedup = if !topic.is_fifo() {
            None
        } else if let Some(id) = &input.deduplication_id {
            Some(id.clone())
        } else if topic
            .attributes
            .get("ContentBasedDeduplication")
            .map(String::as_str)
            == Some("true")
        {
            use sha2::Digest;
            Some(format!("{:x}", sha2::Sha256::digest(message.as_bytes())))
        } else {
            return Err(SnsError::invalid(
                "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            ));
        };
        Ok((
            topic,
            Prepared {
                message: message.to_string(),
                per_protocol,
                subject: input.subject.clone(),
                attributes: input.attributes.clone(),
                dedup,
            },
        ))
    }

    fn fan_out(&self, topic: &Topic, p: &Prepared) -> (Published, Vec<Delivery>) {
        let message_id = uuid::Uuid::new_v4().to_string();
        let mut sequence_number = None;
        if topic.is_fifo() {
            let now = now_ms();
            let mut fifo = self.inner.fifo.lock().unwrap_or_else(|e| e.into_inner());
            fifo.seen.retain(|_, (_, at)| now - *at < DEDUP_WINDOW_MS);
            let key = (topic.arn.clone(), p.dedup.clone().unwrap_or_default());
            if let Some((earlier, _)) = fifo.seen.get(&key) {
                // A duplicate within five minutes: accepted, not delivered again.
                return (earlier.clone(), Vec::new());
            }
            let next = (fifo.last_sequence + 1).max(now as u128 * 1_000_000);
            fifo.last_sequence = next;
            sequence_number = Some(format!("{next:020}"));
            let published = Published {
                message_id: message_id.clone(),
                sequence_number: sequence_number.clone(),
            };
            fifo.seen.insert(key, (published, now));
        }
        let stamp = timestamp();
        let attr_doc = attributes_document(
            p.attributes
                .iter()
                .map(|(k, a)| (k.as_str(), a.data_type.as_str(), a.string_value.as_deref())),
        );
        let body_doc: Option<Value> = serde_json::from_str(&p.message).ok();
        let core = self.core();
        let mut deliveries = Vec::new();
        for sub in core
            .subs
            .values()
            .filter(|s| s.topic_arn == topic.arn && s.confirmed)
        {
            if !passes_filter(sub, &attr_doc, body_doc.as_ref()) {
                continue;
            }
            let mut d = self.delivery_for(topic, sub, Kind::Notification);
            d.message_id = message_id.clone();
            d.timestamp = stamp.clone();
            d.subject = p.subject.clone();
            d.attributes = p.attributes.clone();
            d.message = match &p.per_protocol {
                Some(map) => map
                    .get(&sub.protocol)
                    .or_else(|| map.get("default"))
                    .cloned()
                    .unwrap_or_default(),
                None => p.message.clone(),
            };
            deliveries.push(d);
        }
        (
            Published {
                message_id,
                sequence_number,
            },
            deliveries,
        )
    }

    // ---- mailbox and signing -------------------------------------------------

    pub fn mailbox(&self) -> Result<Vec<MailItem>> {
        self.core().db.mailbox()
    }

    pub fn clear_mailbox(&self) -> Result<()> {
        self.core().db.clear_mailbox()
    }

    pub(crate) fn mail(&self, item: &MailItem) -> Result<()> {
        self.core().db.mail(item)
    }

    /// Deliveries not yet taken by their endpoints.
    pub fn pending_deliveries(&self) -> Result<u64> {
        self.core().db.pending()
    }

    /// The signing key, made (and stored) the first time it is needed.
    pub fn signer(&self) -> Result<Arc<Signer>> {
        let mut slot = self.inner.signer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = slot.as_ref() {
            return Ok(Arc::clone(s));
        }
        let stored = {
            let core = self.core();
            (core.db.meta("signing_key")?, core.db.meta("signing_cert")?)
        };
        let signer = match stored {
            (Some(k), Some(c)) => Signer::from_pem(&k, &c)?,
            _ => {
                let s = Signer::generate()?;
                let core = self.core();
                core.db.set_meta("signing_key", &s.key_pem()?)?;
                core.db.set_meta("signing_cert", s.cert_pem())?;
                s
            }
        };
        let signer = Arc::new(signer);
        *slot = Some(Arc::clone(&signer));
        Ok(signer)
    }

    /// Whether `sub_arn` still exists and is confirmed (deliveries to a
    /// subscription removed meanwhile are dropped).
    pub(crate) fn is_live(&self, sub_arn: &str) -> bool {
        self.core().subs.get(sub_arn).is_some_and(|s| s.confirmed)
    }
}

struct Prepared {
    message: String,
    per_protocol: Option<BTreeMap<String, String>>,
    subject: Option<String>,
    attributes: BTreeMap<String, MessageAttribute>,
    /// FIFO only: the deduplication id (explicit or the body's SHA-256).
    dedup: Option<String>,
}

fn passes_filter(sub: &Subscription, attrs: &Value, body: Option<&Value>) -> bool {
    let Some(text) = sub.attributes.get("FilterPolicy") else {
        return true;
    };
    let scope = sub
        .attributes
        .get("FilterPolicyScope")
        .and_then(|s| Scope::parse(s).ok())
        .unwrap_or(Scope::MessageAttributes);
    let Ok(policy) = FilterPolicy::parse(text, scope) else {
        return true;
    };
    match scope {
        Scope::MessageAttributes => policy.matches(attrs),
        Scope::MessageBody => body.is_some_and(|b| policy.matches(b)),
    }
}

fn dedup_tags(tags: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in tags {
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some(t) => t.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

fn same_tags(a: &[(String, String)], b: &[(String, String)]) -> bool {
    let a: BTreeMap<_, _> = a.iter().cloned().collect();
    let b: BTreeMap<_, _> = b.iter().cloned().collect();
    a == b
}

/// Pages of 100 with the offset as the (opaque to callers) token.
fn page<T>(items: Vec<T>, next_token: Option<&str>) -> Result<(Vec<T>, Option<String>)> {
    let start = match next_token {
        None | Some("") => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= items.len())
            .ok_or_else(|| SnsError::invalid("NextToken"))?,
    };
    let end = (start + PAGE).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((
        items.into_iter().skip(start).take(end - start).collect(),
        next,
    ))
}

/// The mailbox of a data directory (`baton mail --data-dir`), read-only.
pub fn read_mailbox(data_dir: &std::path::Path) -> Result<Vec<MailItem>> {
    let path = data_dir.join("topics.sqlite3");
    if !path.exists() {
        return Err(SnsError::new(
            "NotFound",
            format!("no topics store at {}", path.display()),
        ));
    }
    Db::open_read_only(&path)?.mailbox()
}

/// The mailbox of a running server (`GET <endpoint>/_baton/mailbox`);
/// `clear` empties it afterwards (`DELETE`).
pub async fn fetch_mailbox(endpoint: &str, clear: bool) -> Result<Vec<MailItem>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("{}/_baton/mailbox", endpoint.trim_end_matches('/'));
    let client = reqwest::Client::new();
    let fail = |e: reqwest::Error| SnsError::internal(format!("{url}: {e}"));
    let response = client.get(&url).send().await.map_err(fail)?;
    if !response.status().is_success() {
        return Err(SnsError::internal(format!(
            "{url} answered {}",
            response.status()
        )));
    }
    let body: Value = response.json().await.map_err(fail)?;
    let items = serde_json::from_value(body.get("messages").cloned().unwrap_or(Value::Null))?;
    if clear {
        client.delete(&url).send().await.map_err(fail)?;
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc() -> Topics {
        Topics::in_memory("us-east-1", "123456789012", "http://127.0.0.1:4566").unwrap()
    }

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn publish(t: &Topics, arn: &str, message: &str) -> Result<Published> {
        t.publish(PublishInput {
            topic_arn: Some(arn.into()),
            message: Some(message.into()),
            ..Default::default()
        })
    }

    #[test]
    fn create_topic_is_idempotent_for_equal_attributes() {
        let t = svc();
        let a = t
            .create_topic("lottery", attrs(&[("DisplayName", "L")]), vec![])
            .unwrap();
        assert_eq!(a, "arn:aws:sns:us-east-1:123456789012:lottery");
        assert_eq!(
            t.create_topic("lottery", attrs(&[("DisplayName", "L")]), vec![])
                .unwrap(),
            a
        );
        assert_eq!(
            t.create_topic("lottery", BTreeMap::new(), vec![]).unwrap(),
            a
        );
        let e = t
            .create_topic("lottery", attrs(&[("DisplayName", "M")]), vec![])
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        assert_eq!(
            t.create_topic("a.fifo", BTreeMap::new(), vec![])
                .unwrap_err()
                .message,
            "Invalid parameter: Topic Name"
        );
        assert!(
            t.create_topic("a.fifo", attrs(&[("FifoTopic", "true")]), vec![])
                .is_ok()
        );
    }

    #[test]
    fn publish_queues_one_delivery_per_confirmed_matching_subscription() {
        let t = svc();
        let arn = t.create_topic("t", BTreeMap::new(), vec![]).unwrap();
        // Pending e-mail: queues its confirmation only.
        assert_eq!(
            t.subscribe(&arn, "email", Some("a@example.com"), BTreeMap::new(), false)
                .unwrap(),
            "pending confirmation"
        );
        assert_eq!(t.pending_deliveries().unwrap(), 1);
        publish(&t, &arn, "hello").unwrap();
        assert_eq!(t.pending_deliveries().unwrap(), 1);
        // A Lambda subscription is confirmed at once; a filtered one does not match.
        let fn_arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
        let sub = t
            .subscribe(&arn, "lambda", Some(fn_arn), BTreeMap::new(), false)
            .unwrap();
        assert!(sub.starts_with(&arn));
        let filtered = attrs(&[("FilterPolicy", r#"{"kind": ["big"]}"#)]);
        t.subscribe(
            &arn,
            "lambda",
            Some("arn:aws:lambda:us-east-1:123456789012:function:g"),
            filtered,
            false,
        )
        .unwrap();
        publish(&t, &arn, "hello").unwrap();
        assert_eq!(t.pending_deliveries().unwrap(), 2);
        // Subscribing again returns the same ARN.
        assert_eq!(
            t.subscribe(&arn, "lambda", Some(fn_arn), BTreeMap::new(), false)
                .unwrap(),
            sub
        );
    }

    #[test]
    fn confirmation_by_token() {
        let t = svc();
        let arn = t.create_topic("t", BTreeMap::new(), vec![]).unwrap();
        let sub = t
            .subscribe(&arn, "email", Some("a@example.com"), BTreeMap::new(), true)
            .unwrap();
        let token = t.subscription(&sub).unwrap().token;
        assert_eq!(
            t.confirm_subscription(&arn, "wrong", true, false)
                .unwrap_err()
                .message,
            "Invalid parameter: Token"
        );
        assert_eq!(
            t.confirm_subscription(&arn, &token, true, true).unwrap(),
            sub
        );
        assert_eq!(
            t.confirm_subscription(&arn, &token, false, false).unwrap(),
            sub
        );
        assert_eq!(
            t.unsubscribe(&sub, false).unwrap_err().code,
            "AuthorizationError"
        );
        let (subs, _) = t.list_subscriptions(Some(&arn), None).unwrap();
        assert_eq!(subs[0].listed_arn(), sub);
        t.unsubscribe(&sub, true).unwrap();
        assert_eq!(
            t.topic_attributes(&arn).unwrap()["SubscriptionsDeleted"],
            "1"
        );
        assert_eq!(t.unsubscribe(&sub, true).unwrap_err().code, "NotFound");
    }

    #[test]
    fn publish_checks_input_like_aws() {
        let t = svc();
        let arn = t.create_topic("t", BTreeMap::new(), vec![]).unwrap();
        assert_eq!(
            publish(&t, &arn, "").unwrap_err().message,
            "Invalid parameter: Empty message"
        );
        assert!(publish(&t, &arn, &"x".repeat(MAX_MESSAGE_BYTES)).is_ok());
        assert_eq!(
            publish(&t, &arn, &"x".repeat(MAX_MESSAGE_BYTES + 1))
                .unwrap_err()
                .message,
            "Invalid parameter: Message too long"
        );
        assert_eq!(
            publish(&t, "arn:aws:sns:us-east-1:123456789012:nope", "x")
                .unwrap_err()
                .code,
            "NotFound"
        );
        let mut input = PublishInput {
            topic_arn: Some(arn.clone()),
            message: Some("x".into()),
            ..Default::default()
        };
        input.attributes.insert(
            "n".into(),
            MessageAttribute {
                data_type: "Number".into(),
                string_value: Some("abc".into()),
                binary_value: None,
            },
        );
        assert_eq!(t.publish(input).unwrap_err().code, "ParameterValueInvalid");
    }

    #[test]
    fn fifo_topics_deduplicate_within_the_window() {
        let t = svc();
        let arn = t
            .create_topic("d.fifo", attrs(&[("FifoTopic", "true")]), vec![])
            .unwrap();
        let fn_arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
        t.subscribe(&arn, "lambda", Some(fn_arn), BTreeMap::new(), false)
            .unwrap();
        let input = |dedup: &str| PublishInput {
            topic_arn: Some(arn.clone()),
            message: Some("m".into()),
            group_id: Some("g".into()),
            deduplication_id: Some(dedup.into()),
            ..Default::default()
        };
        let a = t.publish(input("1")).unwrap();
        let again = t.publish(input("1")).unwrap();
        let b = t.publish(input("2")).unwrap();
        assert_eq!(a, again);
        assert!(b.sequence_number > a.sequence_number);
        assert_eq!(t.pending_deliveries().unwrap(), 2);
        let mut no_dedup = input("x");
        no_dedup.deduplication_id = None;
        assert!(
            t.publish(no_dedup)
                .unwrap_err()
                .message
                .contains("ContentBasedDeduplication")
        );
    }

    #[test]
    fn concurrent_publishes_are_all_stored_by_group_commit() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::new("us-east-1", "123456789012", "http://h:1");
        s.db_path = Some(dir.path().join("topics.sqlite3"));
        let t = Topics::open(s).unwrap();
        let arn = t.create_topic("t", BTreeMap::new(), vec![]).unwrap();
        let fn_arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
        t.subscribe(&arn, "lambda", Some(fn_arn), BTreeMap::new(), false)
            .unwrap();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                let t = t.clone();
                let arn = arn.clone();
                scope.spawn(move || {
                    for i in 0..25 {
                        publish(&t, &arn, &format!("m{i}")).unwrap();
                    }
                });
            }
        });
        assert_eq!(t.pending_deliveries().unwrap(), 200);
    }

    #[test]
    fn state_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::new("us-east-1", "123456789012", "http://h:1");
        s.db_path = Some(dir.path().join("topics.sqlite3"));
        let t = Topics::open(s.clone()).unwrap();
        let arn = t
            .create_topic(
                "t",
                attrs(&[("DisplayName", "D")]),
                vec![("k".into(), "v".into())],
            )
            .unwrap();
        t.subscribe(&arn, "email", Some("a@example.com"), BTreeMap::new(), false)
            .unwrap();
        let cert = t.signer().unwrap().cert_pem().to_string();
        drop(t);
        let t = Topics::open(s).unwrap();
        assert_eq!(t.topic(&arn).unwrap().display_name(), Some("D"));
        assert_eq!(
            t.list_tags(&arn).unwrap(),
            vec![("k".to_string(), "v".to_string())]
        );
        assert_eq!(t.list_subscriptions(None, None).unwrap().0.len(), 1);
        assert_eq!(t.pending_deliveries().unwrap(), 1);
        assert_eq!(t.signer().unwrap().cert_pem(), cert);
    }
}
