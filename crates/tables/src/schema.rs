//! Table definitions: key schemas, attribute definitions, secondary indexes.

use serde_json::{Value, json};

use crate::value::{AttributeValue, Item};

/// HASH key and optional RANGE key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    pub hash: String,
    pub range: Option<String>,
}

impl KeySchema {
    pub fn to_json(&self) -> Value {
        let mut v = vec![json!({"AttributeName": self.hash, "KeyType": "HASH"})];
        if let Some(r) = &self.range {
            v.push(json!({"AttributeName": r, "KeyType": "RANGE"}));
        }
        Value::Array(v)
    }

    pub fn names(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.hash).chain(self.range.iter())
    }
}

/// A GSI or LSI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub key: KeySchema,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: String,
    pub include: Vec<String>,
    pub global: bool,
}

/// A table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    pub name: String,
    pub key: KeySchema,
    /// Attribute name → `S`, `N` or `B`.
    pub attributes: Vec<(String, String)>,
    pub indexes: Vec<Index>,
    /// Epoch seconds.
    pub created: f64,
    pub billing: String,
    pub read_capacity: i64,
    pub write_capacity: i64,
    pub arn: String,
    pub id: String,
    /// Resource tags, in the order they were added.
    pub tags: Vec<(String, String)>,
    /// The TTL attribute when TTL is enabled (recorded; items do not expire yet).
    pub ttl: Option<String>,
}

/// Where an item sits in a table or index: partition bytes, sort bytes.
pub type Pos = (Vec<u8>, Vec<u8>);

impl TableDef {
    pub fn attr_type(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// The item's primary key position; the item must hold valid keys.
    pub fn pos(&self, item: &Item) -> Option<Pos> {
        key_pos(&self.key, item)
    }

    /// The attributes an index holds for an item (`ALL` keeps all).
    pub fn project_for(&self, index: &Index, item: &Item) -> Item {
        match index.projection.as_str() {
            "ALL" => item.clone(),
            _ => item
                .iter()
                .filter(|(k, _)| {
                    self.key.names().any(|n| n == *k)
                        || index.key.names().any(|n| n == *k)
                        || index.include.iter().any(|n| n == *k)
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Index positions of an item: indexes whose key attributes it has.
    pub fn index_positions(&self, item: &Item) -> Vec<(String, Pos)> {
        self.indexes
            .iter()
            .filter_map(|ix| key_pos(&ix.key, item).map(|p| (ix.name.clone(), p)))
            .collect()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "key": self.key.to_json(),
            "attributes": self.attributes.iter().map(|(n, t)| json!({"AttributeName": n, "AttributeType": t})).collect::<Vec<_>>(),
            "indexes": self.indexes.iter().map(|i| json!({
                "IndexName": i.name,
                "KeySchema": i.key.to_json(),
                "Projection": i.projection,
                "Include": i.include,
                "Global": i.global,
            })).collect::<Vec<_>>(),
            "created": self.created,
            "billing": self.billing,
            "rcu": self.read_capacity,
            "wcu": self.write_capacity,
            "arn": self.arn,
            "id": self.id,
            "tags": self.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
            "ttl": self.ttl,
        })
    }

    pub fn from_json(v: &Value) -> Option<TableDef> {
        let key = |v: &Value| -> Option<KeySchema> {
            let list = v.as_array()?;
            let find = |t: &str| {
                list.iter()
                    .find(|k| k["KeyType"] == t)
                    .and_then(|k| k["AttributeName"].as_str())
                    .map(str::to_string)
            };
            Some(KeySchema {
                hash: find("HASH")?,
                range: find("RANGE"),
            })
        };
        Some(TableDef {
            name: v["name"].as_str()?.to_string(),
            key: key(&v["key"])?,
            attributes: v["attributes"]
                .as_array()?
                .iter()
                .filter_map(|a| {
                    Some((
                        a["AttributeName"].as_str()?.to_string(),
                        a["AttributeType"].as_str()?.to_string(),
                    ))
                })
                .collect(),
            indexes: v["indexes"]
                .as_array()?
                .iter()
                .filter_map(|i| {
                    Some(Index {
                        name: i["IndexName"].as_str()?.to_string(),
                        key: key(&i["KeySchema"])?,
                        projection: i["Projection"].as_str()?.to_string(),
                        include: i["Include"]
                            .as_array()?
                            .iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect(),
                        global: i["Global"].as_bool()?,
                    })
                })
                .collect(),
            created: v["created"].as_f64()?,
            billing: v["billing"].as_str()?.to_string(),
            read_capacity: v["rcu"].as_i64()?,
            write_capacity: v["wcu"].as_i64()?,
            arn: v["arn"].as_str()?.to_string(),
            id: v["id"].as_str()?.to_string(),
            tags: v["tags"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| {
                            Some((
                                t["Key"].as_str()?.to_string(),
                                t["Value"].as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            ttl: v["ttl"].as_str().map(str::to_string),
        })
    }
}

/// Position under a key schema, if the item has the key attributes with
/// key-able types.
pub fn key_pos(key: &KeySchema, item: &Item) -> Option<Pos> {
    let h = item.get(&key.hash)?.key_bytes()?;
    let r = match &key.range {
        Some(r) => item.get(r)?.key_bytes()?,
        None => Vec::new(),
    };
    Some((h, r))
}

/// Just the key attributes of an item under `key`.
pub fn key_of(key: &KeySchema, item: &Item) -> Item {
    key.names()
        .filter_map(|n| item.get(n).map(|v| (n.clone(), v.clone())))
        .collect()
}

/// Checks that an attribute value has the declared key type.
pub fn key_type_ok(v: &AttributeValue, t: &str) -> bool {
    v.type_name() == t
}
